import type { Connection } from 'vscode-languageserver/node';
import {
  CreateSnapshotRequest,
  DeleteSnapshotRequest,
  ExportSnapshotRequest,
  ImportSnapshotRequest,
  ListSnapshotsRequest,
  PinSnapshotRequest,
  PruneSnapshotsRequest,
  QUIESCE_MODES,
  SnapshotsChangedNotification,
  VerifySnapshotRequest,
  WorkloadsChangedNotification,
  type SnapshotRef,
  type SnapshotsChangedParams,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { objectParams, optionalEnum, optionalInteger, optionalString, requiredString, type Params } from '../params';
import { onRequest } from '../rpc';
import { InvalidParamsError } from '../errors';

/** berth/snapshots/*: the catalog, capture (progress + cancel), verify, delete, pin, export, import. */
export function registerSnapshotHandlers(connection: Connection, log: Log, backend: Backend): void {
  backend.snapshots.log = log;
  const changed = (reason: SnapshotsChangedParams['reason']) => void connection.sendNotification(SnapshotsChangedNotification.type, { reason });

  onRequest(connection, log, ListSnapshotsRequest.type, async (raw, ctx) => {
    const params = objectParams(raw, ListSnapshotsRequest.method);
    const workload = optionalString(params, 'workload', ListSnapshotsRequest.method, 512);
    return { snapshots: await backend.snapshots.list(workload, ctx.signal) };
  });

  onRequest(connection, log, CreateSnapshotRequest.type, async (raw, ctx) => {
    const m = CreateSnapshotRequest.method;
    const params = objectParams(raw, m);
    const workload = requiredString(params, 'workload', m, 512);
    const label = optionalString(params, 'label', m, 256);
    const quiesce = optionalEnum(params, 'quiesce', m, QUIESCE_MODES);
    const keep = optionalInteger(params, 'keep', m, 0, 100_000);
    try {
      return await backend.snapshots.create({ workload, ...(label !== undefined ? { label } : {}), ...(quiesce ? { quiesce } : {}), ...(keep !== undefined ? { keep } : {}) }, ctx);
    } finally {
      changed('create');
      void connection.sendNotification(WorkloadsChangedNotification.type, { reason: 'operation' });
    }
  });

  onRequest(connection, log, VerifySnapshotRequest.type, async (raw, ctx) => {
    const result = await backend.snapshots.verify(snapshotRef(objectParams(raw, VerifySnapshotRequest.method), VerifySnapshotRequest.method), ctx);
    changed('verify');
    return result;
  });

  onRequest(connection, log, DeleteSnapshotRequest.type, async (raw) => {
    const result = await backend.snapshots.remove(snapshotRef(objectParams(raw, DeleteSnapshotRequest.method), DeleteSnapshotRequest.method));
    changed('delete');
    return result;
  });

  onRequest(connection, log, PinSnapshotRequest.type, async (raw) => {
    const params = objectParams(raw, PinSnapshotRequest.method);
    const pinned = params.pinned;
    if (typeof pinned !== 'boolean') throw new InvalidParamsError(`${PinSnapshotRequest.method} needs "pinned" as true or false.`);
    const snapshots = await backend.snapshots.pin(snapshotRef(params, PinSnapshotRequest.method), pinned);
    changed('pin');
    return { snapshots };
  });

  onRequest(connection, log, ExportSnapshotRequest.type, async (raw, ctx) => {
    const params = objectParams(raw, ExportSnapshotRequest.method);
    const file = requiredString(params, 'file', ExportSnapshotRequest.method);
    return backend.snapshots.export(snapshotRef(params, ExportSnapshotRequest.method), file, ctx);
  });

  onRequest(connection, log, ImportSnapshotRequest.type, async (raw, ctx) => {
    const params = objectParams(raw, ImportSnapshotRequest.method);
    const result = await backend.snapshots.import(requiredString(params, 'file', ImportSnapshotRequest.method), ctx);
    changed('import');
    return result;
  });

  onRequest(connection, log, PruneSnapshotsRequest.type, async (raw, ctx) => {
    const m = PruneSnapshotsRequest.method;
    const params = objectParams(raw, m);
    const workload = requiredString(params, 'workload', m, 512);
    const keep = optionalInteger(params, 'keep', m, 1, 100_000);
    if (keep === undefined) throw new InvalidParamsError(`${m} needs "keep" as a whole number from 1.`);
    const removed = await backend.snapshots.prune(workload, keep, ctx.signal);
    changed('prune');
    return { removed };
  });
}

function snapshotRef(params: Params, method: string): SnapshotRef {
  const id = requiredString(params, 'id', method, 64);
  const workload = optionalString(params, 'workload', method, 512);
  return { id, ...(workload !== undefined ? { workload } : {}) };
}
