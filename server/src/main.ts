// The backend process: started by the extension through vscode-languageclient over Node IPC.
// Creates the real connection over the guarded transport and hands it to startServer.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';
import { processTransport } from './transport';

const { reader, writer } = processTransport();
startServer(createConnection(ProposedFeatures.all, reader, writer), { forwardUncaught: true });
