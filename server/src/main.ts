// The backend process: started by the extension through vscode-languageclient over Node IPC.
// Creates the real connection and hands it to startServer; everything else lives there.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all), { forwardUncaught: true });
