import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  AdoptSnapshotRequest,
  CreateProjectSnapshotRequest,
  CreateSnapshotRequest,
  DeleteSnapshotRequest,
  ExportSnapshotRequest,
  ImportSnapshotRequest,
  ListSnapshotsRequest,
  PinSnapshotRequest,
  PruneSnapshotsRequest,
  SnapshotsChangedNotification,
  VerifySnapshotRequest,
  WorkloadsChangedNotification,
  type SnapshotsChangedParams,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface SnapshotHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/** berth/snapshots/*: the catalog, capture (progress + cancel), verify, delete, pin, export, import, prune, adopt. */
export function registerSnapshotHandlers(connection: Connection, log: Log, backend: Backend, hooks: SnapshotHandlerHooks = {}): void {
  const options = (title: string): RequestOptions => ({ title, ...hooks });
  const changed = (reason: SnapshotsChangedParams['reason']) => notify(connection, SnapshotsChangedNotification.type, { reason });

  onRequest(
    connection,
    log,
    ListSnapshotsRequest,
    async ({ workload }, ctx) => backend.snapshots.listAll(workload, ctx.signal),
    options(l10n.t('Listing snapshots')),
  );

  onRequest(
    connection,
    log,
    CreateSnapshotRequest,
    async (params, ctx) => {
      try {
        return await backend.snapshots.create(params, ctx);
      } finally {
        changed('create');
        notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
      }
    },
    options(l10n.t('Taking a snapshot')),
  );

  onRequest(
    connection,
    log,
    CreateProjectSnapshotRequest,
    async (params, ctx) => {
      try {
        return await backend.snapshots.createProject(params, ctx);
      } finally {
        changed('create');
        notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
      }
    },
    options(l10n.t('Taking a project snapshot')),
  );

  onRequest(
    connection,
    log,
    VerifySnapshotRequest,
    async (ref, ctx) => {
      const result = await backend.snapshots.verify(ref, ctx);
      changed('verify');
      return result;
    },
    options(l10n.t('Verifying a snapshot')),
  );

  onRequest(
    connection,
    log,
    DeleteSnapshotRequest,
    async (ref) => {
      const result = await backend.snapshots.remove(ref);
      changed('delete');
      return result;
    },
    options(l10n.t('Deleting a snapshot')),
  );

  onRequest(
    connection,
    log,
    PinSnapshotRequest,
    async ({ pinned, ...ref }) => {
      const snapshots = await backend.snapshots.pin(ref, pinned);
      changed('pin');
      return { snapshots };
    },
    options(l10n.t('Pinning a snapshot')),
  );

  onRequest(
    connection,
    log,
    ExportSnapshotRequest,
    async ({ file, ...ref }, ctx) => backend.snapshots.export(ref, file, ctx),
    options(l10n.t('Exporting a snapshot')),
  );

  onRequest(
    connection,
    log,
    ImportSnapshotRequest,
    async ({ file }, ctx) => {
      const result = await backend.snapshots.import(file, ctx);
      changed('import');
      return result;
    },
    options(l10n.t('Importing a snapshot')),
  );

  onRequest(
    connection,
    log,
    PruneSnapshotsRequest,
    async (params, ctx) => {
      const result = await backend.snapshots.prune(params, ctx.signal);
      if (!result.dryRun) changed('prune');
      return result;
    },
    options(l10n.t('Applying snapshot retention')),
  );

  onRequest(
    connection,
    log,
    AdoptSnapshotRequest,
    async ({ id }) => {
      const snapshot = await backend.snapshots.adopt(id);
      changed('adopt');
      return { snapshot };
    },
    options(l10n.t('Adopting a snapshot')),
  );
}
