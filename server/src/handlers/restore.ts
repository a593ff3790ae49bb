import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  RestorePreviewRequest,
  RestoreSnapshotRequest,
  RunRecoveryRequest,
  SnapshotsChangedNotification,
  StartupRecoveryRequest,
  WorkloadsChangedNotification,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface RestoreHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/** berth/snapshots/restore (+ its preview) and berth/recovery/*. */
export function registerRestoreHandlers(connection: Connection, log: Log, backend: Backend, hooks: RestoreHandlerHooks = {}): void {
  const options = (title: string): RequestOptions => ({ title, ...hooks });
  const changed = () => {
    notify(connection, SnapshotsChangedNotification.type, { reason: 'create' });
    notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
  };

  onRequest(
    connection,
    log,
    RestorePreviewRequest,
    async (params, ctx) => backend.restore.preview(params, ctx.signal),
    options(l10n.t('Checking the restore')),
  );

  onRequest(
    connection,
    log,
    RestoreSnapshotRequest,
    async (params, ctx) => {
      try {
        return await backend.restore.restore(params, ctx);
      } finally {
        changed();
      }
    },
    options(l10n.t('Restoring a snapshot')),
  );

  onRequest(
    connection,
    log,
    RunRecoveryRequest,
    async () => {
      const report = await backend.restore.recover();
      if (report.didSomething) changed();
      return report;
    },
    options(l10n.t('Recovering interrupted operations')),
  );

  onRequest(
    connection,
    log,
    StartupRecoveryRequest,
    () => {
      const report = backend.startupRecovery();
      return report ? { report } : {};
    },
    options(l10n.t('Recovery report')),
  );
}

