import type { Connection } from 'vscode-languageserver/node';
import {
  RecoveryDidRunNotification,
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
import { onRequest } from '../rpc';

/** berth/snapshots/restore (+ its preview) and berth/recovery/*. */
export function registerRestoreHandlers(connection: Connection, log: Log, backend: Backend): void {
  backend.restore.log = log;
  const changed = () => {
    void connection.sendNotification(SnapshotsChangedNotification.type, { reason: 'create' });
    void connection.sendNotification(WorkloadsChangedNotification.type, { reason: 'operation' });
  };

  onRequest(connection, log, RestorePreviewRequest.type, async (raw, ctx) => {
    const m = RestorePreviewRequest.method;
    const params = objectParams(raw, m);
    return backend.restore.preview({ workload: requiredString(params, 'workload', m, 512), snapshot: requiredString(params, 'snapshot', m, 64) }, ctx.signal);
  });

  onRequest(connection, log, RestoreSnapshotRequest.type, async (raw, ctx) => {
    const m = RestoreSnapshotRequest.method;
    const params = objectParams(raw, m);
    const workload = requiredString(params, 'workload', m, 512);
    const snapshot = requiredString(params, 'snapshot', m, 64);
    if (typeof params.confirm !== 'string') {
      throw new InvalidParamsError(`${m} needs "confirm": the full ID of the snapshot, repeated to confirm the restore.`);
    }
    try {
      return await backend.restore.restore({ workload, snapshot, confirm: params.confirm }, ctx);
    } finally {
      changed();
    }
  });

  onRequest(connection, log, RunRecoveryRequest.type, async () => {
    const report = await backend.restore.recover();
    if (report.didSomething) changed();
    return report;
  });

  onRequest(connection, log, StartupRecoveryRequest.type, () => (backend.restore.startupReport ? { report: backend.restore.startupReport } : {}));
}

/**
 * The startup sweep's second half: storing the safety copies that the first half (run before
 * any request was served) deferred, then telling the client.
 */
export async function finishStartupRecovery(connection: Connection, backend: Backend): Promise<void> {
  const first = backend.restore.startupReport;
  if (!first || !first.restores.some((r) => r.outcome === 'pending')) return;
  const report = await backend.restore.recover();
  backend.restore.startupReport = report;
  if (report.didSomething) void connection.sendNotification(RecoveryDidRunNotification.type, report);
}
