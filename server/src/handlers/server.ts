import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import { ServerInfoRequest } from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { onRequest } from '../rpc';
import { BERTH_VERSION } from '../version';

export function registerServerHandlers(connection: Connection, log: Log, backend: Backend, readyMs: () => number): void {
  onRequest(
    connection,
    log,
    ServerInfoRequest,
    () => ({
      pid: process.pid,
      version: BERTH_VERSION,
      stateDir: backend.stateDir,
      readyMs: readyMs(),
    }),
    { title: l10n.t('Asking the Berth backend about itself') },
  );
}
