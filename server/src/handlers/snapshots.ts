import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  AdoptSnapshotRequest,
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
import { InvalidParamsError } from '../errors';
import type { Log } from '../log';
import { objectParams, optionalBoolean, optionalEnum, optionalInteger, optionalString, requiredString, type Params } from '../params';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface SnapshotHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/** berth/snapshots/*: the catalog, capture (progress + cancel), verify, delete, pin, export, import, prune, adopt. */
export function registerSnapshotHandlers(connection: Connection, log: Log, backend: Backend, hooks: SnapshotHandlerHooks = {}): void {
  const options = (fields: readonly string[], title: string): RequestOptions => ({ fields, title, ...hooks });
  const changed = (reason: SnapshotsChangedParams['reason']) => notify(connection, SnapshotsChangedNotification.type, { reason });

  onRequest(
    connection,
    log,
    ListSnapshotsRequest.type,
    async (raw, ctx) => {
      const params = objectParams(raw, ListSnapshotsRequest.method);
      const workload = optionalString(params, 'workload', ListSnapshotsRequest.method, 512);
      return backend.snapshots.listAll(workload, ctx.signal);
    },
    options(['workload'], l10n.t('Listing snapshots')),
  );

  onRequest(
    connection,
    log,
    CreateSnapshotRequest.type,
    async (raw, ctx) => {
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
        notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
      }
    },
    options(['workload', 'label', 'quiesce', 'keep'], l10n.t('Taking a snapshot')),
  );

  onRequest(
    connection,
    log,
    VerifySnapshotRequest.type,
    async (raw, ctx) => {
      const result = await backend.snapshots.verify(snapshotRef(objectParams(raw, VerifySnapshotRequest.method), VerifySnapshotRequest.method), ctx);
      changed('verify');
      return result;
    },
    options(['id', 'workload'], l10n.t('Verifying a snapshot')),
  );

  onRequest(
    connection,
    log,
    DeleteSnapshotRequest.type,
    async (raw) => {
      const result = await backend.snapshots.remove(snapshotRef(objectParams(raw, DeleteSnapshotRequest.method), DeleteSnapshotRequest.method));
      changed('delete');
      return result;
    },
    options(['id', 'workload'], l10n.t('Deleting a snapshot')),
  );

  onRequest(
    connection,
    log,
    PinSnapshotRequest.type,
    async (raw) => {
      const params = objectParams(raw, PinSnapshotRequest.method);
      const pinned = optionalBoolean(params, 'pinned', PinSnapshotRequest.method);
      if (pinned === undefined) throw new InvalidParamsError(l10n.t('{0} needs "pinned" as true or false.', PinSnapshotRequest.method));
      const snapshots = await backend.snapshots.pin(snapshotRef(params, PinSnapshotRequest.method), pinned);
      changed('pin');
      return { snapshots };
    },
    options(['id', 'workload', 'pinned'], l10n.t('Pinning a snapshot')),
  );

  onRequest(
    connection,
    log,
    ExportSnapshotRequest.type,
    async (raw, ctx) => {
      const params = objectParams(raw, ExportSnapshotRequest.method);
      const file = requiredString(params, 'file', ExportSnapshotRequest.method);
      return backend.snapshots.export(snapshotRef(params, ExportSnapshotRequest.method), file, ctx);
    },
    options(['id', 'workload', 'file'], l10n.t('Exporting a snapshot')),
  );

  onRequest(
    connection,
    log,
    ImportSnapshotRequest.type,
    async (raw, ctx) => {
      const params = objectParams(raw, ImportSnapshotRequest.method);
      const result = await backend.snapshots.import(requiredString(params, 'file', ImportSnapshotRequest.method), ctx);
      changed('import');
      return result;
    },
    options(['file'], l10n.t('Importing a snapshot')),
  );

  onRequest(
    connection,
    log,
    PruneSnapshotsRequest.type,
    async (raw, ctx) => {
      const m = PruneSnapshotsRequest.method;
      const params = objectParams(raw, m);
      const workload = requiredString(params, 'workload', m, 512);
      const keep = optionalInteger(params, 'keep', m, 1, 100_000);
      if (keep === undefined) throw new InvalidParamsError(l10n.t('{0} needs "keep" as a whole number from 1.', m));
      const removed = await backend.snapshots.prune(workload, keep, ctx.signal);
      changed('prune');
      return { removed };
    },
    options(['workload', 'keep'], l10n.t('Applying snapshot retention')),
  );

  onRequest(
    connection,
    log,
    AdoptSnapshotRequest.type,
    async (raw) => {
      const params = objectParams(raw, AdoptSnapshotRequest.method);
      const snapshot = await backend.snapshots.adopt(requiredString(params, 'id', AdoptSnapshotRequest.method, 64));
      changed('adopt');
      return { snapshot };
    },
    options(['id'], l10n.t('Adopting a snapshot')),
  );
}

function snapshotRef(params: Params, method: string): SnapshotRef {
  // A record ID, a label (up to 256 characters) or a content ID.
  const id = requiredString(params, 'id', method, 256);
  const workload = optionalString(params, 'workload', method, 512);
  return { id, ...(workload !== undefined ? { workload } : {}) };
}
