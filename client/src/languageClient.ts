import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { BerthInitializationOptions } from '../../protocol/src';
import type { Log } from './log';
import { readBackendSettings } from './settings';

/** Creates (but does not start) the client for the backend process in dist/server.js. */
export function createLanguageClient(context: vscode.ExtensionContext, log: Log): LanguageClient {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const locale = vscode.env.language;
  const bundle = context.asAbsolutePath(`l10n/bundle.l10n.${locale}.json`);
  const initializationOptions: BerthInitializationOptions = {
    ...readBackendSettings(),
    locale,
    ...(locale !== 'en' && existsSync(bundle) ? { l10nBundle: bundle } : {}),
  };
  const clientOptions: LanguageClientOptions = {
    // Berth serves no documents: the backend is a JSON-RPC worker, not a language server.
    documentSelector: [],
    outputChannel: log.channel,
    initializationOptions,
    // The client restarts a crashed backend a few times on its own; Ctx shows the state.
    connectionOptions: { maxRestartCount: 4 },
  };
  return new LanguageClient('berth', 'Berth backend', serverOptions, clientOptions);
}
