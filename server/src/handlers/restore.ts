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
import { InvalidParamsError } from '../errors';
import type { Log } from '../log';
import { objectParams, requiredString } from '../params';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface RestoreHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/** berth/snapshots/restore (+ its preview) and berth/recovery/*. */
export function registerRestoreHandlers(connection: Connection, log: Log, backend: Backend, hooks: RestoreHandlerHooks = {}): void {
  const options = (fields: readonly string[], title: string): RequestOptions => ({ fields, title, ...hooks });
  const changed = () => {
    notify(connection, SnapshotsChangedNotification.type, { reason: 'create' });
    notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
  };

  onRequest(
    connection,
    log,
    RestorePreviewRequest.type,
    async (raw, ctx) => {
      const m = RestorePreviewRequest.method;
      const params = objectParams(raw, m);
      return backend.restore.preview({ workload: requiredString(params, 'workload', m, 512), snapshot: requiredString(params, 'snapshot', m, 256) }, ctx.signal);
    },
    options(['workload', 'snapshot'], l10n.t('Checking the restore')),
  );

  onRequest(
    connection,
    log,
    RestoreSnapshotRequest.type,
    async (raw, ctx) => {
      const m = RestoreSnapshotRequest.method;
      const params = objectParams(raw, m);
      const workload = requiredString(params, 'workload', m, 512);
      // A record ID, a label (up to 256 characters) or a content ID.
      const snapshot = requiredString(params, 'snapshot', m, 256);
      if (typeof params.confirm !== 'string') {
        throw new InvalidParamsError(l10n.t('{0} needs "confirm": the full ID of the snapshot, repeated to confirm the restore.', m));
      }
      try {
        return await backend.restore.restore({ workload, snapshot, confirm: params.confirm }, ctx);
      } finally {
        changed();
      }
    },
    options(['workload', 'snapshot', 'confirm'], l10n.t('Restoring a snapshot')),
  );

  onRequest(
    connection,
    log,
    RunRecoveryRequest.type,
    async () => {
      const report = await backend.restore.recover();
      if (report.didSomething) changed();
      return report;
    },
    options([], l10n.t('Recovering interrupted operations')),
  );

  onRequest(
    connection,
    log,
    StartupRecoveryRequest.type,
    () => {
      const report = backend.startupRecovery();
      return report ? { report } : {};
    },
    options([], l10n.t('Recovery report')),
  );
}

