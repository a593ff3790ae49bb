import * as l10n from '@vscode/l10n';
import type {
  CreateSnapshotParams,
  CreateSnapshotResult,
  DeleteSnapshotResult,
  ExportSnapshotResult,
  ImportSnapshotResult,
  SnapshotInfo,
  SnapshotRef,
  VerifySnapshotResult,
} from '../../../protocol/src';
import { LIMITS } from '../archive/manifest';
import { hasControlChars } from '../archive/paths';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { BerthError, InvalidParamsError, NotFoundError } from '../errors';
import { echo } from '../echo';
import { nullLog, type Log } from '../log';
import type { OperationContext } from '../operation';
import { fsErrorMessage } from '../state/fsErrors';
import { entryCount, stateDirWritable } from '../state/writable';
import type { WorkloadService } from '../workloads/workloadService';
import { captureSnapshot } from './capture';
import type { CatalogRecord } from './catalog';
import { recoverSnapshots, type SnapshotRecoveryReport } from './recovery';
import { selectForRemoval } from './retention';
import { SnapshotStore } from './store';
import { exportSnapshot, importFile } from './transfer';
import { verifyObject } from './verify';

export interface SnapshotHost {
  readonly stateDir: string;
  engine(): Engine;
  readonly workloads: WorkloadService;
  /** Finishes a crashed restore of the workload first, so a capture never reads half-swapped volumes. */
  settleWorkload?(key: string): Promise<void>;
}

/** The snapshot operations the RPC handlers and the CLI call. Holds no RPC or CLI types. */
export class SnapshotService {
  /** Set by the process that owns the service (the backend's client log, the CLI's stderr). */
  log: Log = nullLog;

  constructor(private readonly host: SnapshotHost) {}

  store(): SnapshotStore {
    return new SnapshotStore(this.host.stateDir, (why) => this.log.warn(why));
  }

  /**
   * The startup sweep (see recovery.ts); never throws. On a state directory that takes no
   * writes (read-only, or not ours to write) it is skipped: it must create lock files before it
   * touches anything, and what it would do (resume a workload and delete its journal, delete
   * temp folders) could not be recorded; resuming a workload without deleting its journal would
   * resume it again on the next run, over a pause the user may have made since. Skipping is
   * safe for the reads that follow (list, verify): they take no lock, because records, manifests
   * and seals are only ever replaced by rename or written once, so a reader never sees half a
   * file. What waits for recovery is reported.
   */
  async recover(): Promise<SnapshotRecoveryReport | undefined> {
    const store = this.store();
    try {
      if (!(await stateDirWritable(this.host.stateDir))) {
        const waiting = (await entryCount(store.layout.quiesce)) + (await entryCount(store.layout.tmp));
        if (waiting > 0) {
          this.log.warn(l10n.t('The state directory {0} is read-only: start-up recovery of snapshots was skipped, and {1} item(s) of interrupted captures wait for it. Make the folder writable and run "berth recover".', echo(this.host.stateDir), waiting));
        }
        return undefined;
      }
      return await recoverSnapshots(store, () => this.host.engine(), this.log);
    } catch (error) {
      this.log.warn(l10n.t('Snapshot recovery did not finish: {0}', fsErrorMessage(error, this.host.stateDir)));
      return undefined;
    }
  }

  async list(workloadRef: string | undefined, signal?: AbortSignal): Promise<SnapshotInfo[]> {
    const store = this.store();
    const key = workloadRef === undefined ? undefined : await this.workloadKey(store, workloadRef, signal);
    const records = await store.catalog.list(key);
    return this.infos(store, records);
  }

  async create(params: CreateSnapshotParams, ctx: OperationContext): Promise<CreateSnapshotResult> {
    const label = checkLabel(params.label ?? '');
    const workload = await this.host.workloads.resolve(params.workload, ctx.signal);
    await this.host.settleWorkload?.(workload.identity.key);
    const store = this.store();
    const outcome = await captureSnapshot(store, this.host.engine(), this.log, workload, { label, quiesce: params.quiesce ?? 'pause' }, ctx);
    const pruned = params.keep ? await this.pruneKey(store, workload.identity.key, params.keep, outcome.record.id) : [];
    const [snapshot] = await this.infos(store, [outcome.record]);
    if (!snapshot) throw new Error('capture produced no catalog entry');
    return { snapshot, existing: outcome.existing, warnings: outcome.warnings, pruned };
  }

  async verify(ref: SnapshotRef, ctx: OperationContext): Promise<VerifySnapshotResult> {
    const store = this.store();
    const [record] = await this.resolve(store, ref);
    return verifyObject(store, (record as CatalogRecord).id, ctx);
  }

  async remove(ref: SnapshotRef): Promise<DeleteSnapshotResult> {
    const store = this.store();
    const targets = await this.resolve(store, ref);
    return store.withLock('snapshot-delete', async () => {
      let freedBytes = 0;
      for (const record of targets) await store.catalog.remove(record.workload.key, record.id);
      // A crash here leaves an unreferenced object, which the next start's sweep removes.
      crashPoint('delete.records');
      const id = (targets[0] as CatalogRecord).id;
      const stillUsed = (await store.catalog.list()).some((r) => r.id === id);
      if (!stillUsed) {
        freedBytes = (await store.readSeal(id).catch(() => undefined))?.dataBytes ?? 0;
        await store.removeObject(id);
      }
      return { deleted: targets.map((r) => ({ id: r.id, workload: r.workload.key })), freedBytes };
    });
  }

  async pin(ref: SnapshotRef, pinned: boolean): Promise<SnapshotInfo[]> {
    const store = this.store();
    const targets = await this.resolve(store, ref);
    const updated = await store.withLock('snapshot-pin', async () => {
      const out: CatalogRecord[] = [];
      for (const t of targets) {
        const current = await store.catalog.read(t.workload.key, t.id);
        if (!current) continue;
        const next = { ...current, pinned };
        await store.catalog.write(next);
        out.push(next);
      }
      return out;
    });
    return this.infos(store, updated);
  }

  async export(ref: SnapshotRef, file: string, ctx: OperationContext): Promise<ExportSnapshotResult> {
    const store = this.store();
    const records = await this.resolve(store, ref);
    const newest = [...records].sort((a, b) => (a.capturedAt < b.capturedAt ? 1 : -1))[0] as CatalogRecord;
    return exportSnapshot(store, newest, file, ctx);
  }

  async import(file: string, ctx: OperationContext): Promise<ImportSnapshotResult> {
    const store = this.store();
    let result: { record: CatalogRecord; existing: boolean } | undefined;
    await importFile(store, file, ctx, (temp, { manifest, seal }) =>
      store.withLock('snapshot-import', async () => {
        await store.commitObject(temp, manifest.id);
        crashPoint('import.commit');
        const storedSeal = await store.readSeal(manifest.id);
        const previous = await store.catalog.read(manifest.workload.key, manifest.id);
        const record: CatalogRecord = previous ?? {
          schemaVersion: 1,
          id: manifest.id,
          workload: manifest.workload,
          capturedAt: manifest.capturedAt,
          firstCapturedAt: manifest.capturedAt,
          label: manifest.label,
          pinned: false,
          quiesce: manifest.quiesce,
          origin: 'import',
          volumes: manifest.volumes.map((v) => ({ index: v.index, target: v.target, type: v.type, source: v.source, readOnly: v.readOnly, files: v.files, bytes: v.bytes })),
          files: manifest.totals.files,
          bytes: manifest.totals.bytes,
          storedBytes: storedSeal.dataBytes,
          skipped: manifest.skippedMounts.length + manifest.volumes.reduce((n, v) => n + v.skipped.length, 0),
        };
        if (!previous) await store.catalog.write(record);
        crashPoint('import.catalog');
        // Both passes checked every byte against the manifest; the copy on disk is sealed.
        if (seal.id === storedSeal.id) await store.writeVerifiedState(manifest.id, { state: 'ok', at: new Date().toISOString() });
        result = { record, existing: previous !== undefined };
      }, ctx.signal),
    );
    if (!result) throw new Error('import finished without a catalog entry');
    const [snapshot] = await this.infos(store, [result.record]);
    return { snapshot: snapshot as SnapshotInfo, existing: result.existing };
  }

  async prune(workloadRef: string, keep: number, signal?: AbortSignal): Promise<string[]> {
    const store = this.store();
    return this.pruneKey(store, await this.workloadKey(store, workloadRef, signal), keep);
  }

  private async pruneKey(store: SnapshotStore, key: string, keep: number, protect?: string): Promise<string[]> {
    return store.withLock('snapshot-retention', async () => {
      const doomed = selectForRemoval(await store.catalog.list(key), keep).filter((r) => r.id !== protect);
      for (const record of doomed) await store.catalog.remove(key, record.id);
      const inUse = new Set((await store.catalog.list()).map((r) => r.id));
      for (const record of doomed) if (!inUse.has(record.id)) await store.removeObject(record.id);
      return doomed.map((r) => r.id);
    });
  }

  /** Records matching an ID (full, or a unique prefix of 8+ hex digits) and optional workload. */
  private async resolve(store: SnapshotStore, ref: SnapshotRef): Promise<CatalogRecord[]> {
    const prefix = ref.id.trim().toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(prefix)) throw new InvalidParamsError(l10n.t('A snapshot ID is 8 to 64 hex digits, not "{0}".', echo(ref.id)));
    let matches = (await store.catalog.list()).filter((r) => r.id.startsWith(prefix));
    if (ref.workload !== undefined) {
      const w = ref.workload;
      matches = matches.filter((r) => r.workload.key === w || r.workload.key === `container:${w}` || r.workload.label === w);
    }
    const ids = new Set(matches.map((r) => r.id));
    if (ids.size === 0) throw new NotFoundError(l10n.t('No snapshot {0}. Run "berth snapshots list" to see them.', echo(ref.id)));
    if (ids.size > 1) throw new InvalidParamsError(l10n.t('"{0}" matches {1} snapshots; give more of the ID.', echo(ref.id), ids.size));
    return matches;
  }

  /** A workload's identity key: given directly, or resolved via the engine, or by container name. */
  private async workloadKey(store: SnapshotStore, ref: string, signal?: AbortSignal): Promise<string> {
    if (ref.startsWith('container:') || ref.startsWith('compose:')) return ref;
    try {
      return (await this.host.workloads.resolve(ref, signal)).identity.key;
    } catch (error) {
      // Snapshots outlive their containers: a removed container's name still finds them.
      const byName = `container:${ref}`;
      if (error instanceof BerthError && (error.codeName === 'NotFound' || error.codeName === 'EngineUnreachable') && (await store.catalog.list(byName)).length > 0) {
        return byName;
      }
      throw error;
    }
  }

  private async infos(store: SnapshotStore, records: readonly CatalogRecord[]): Promise<SnapshotInfo[]> {
    const sorted = [...records].sort((a, b) => (a.capturedAt === b.capturedAt ? 0 : a.capturedAt < b.capturedAt ? 1 : -1));
    const out: SnapshotInfo[] = [];
    for (const r of sorted) {
      out.push({
        id: r.id,
        workload: r.workload,
        capturedAt: r.capturedAt,
        firstCapturedAt: r.firstCapturedAt,
        label: r.label,
        pinned: r.pinned,
        quiesce: r.quiesce,
        origin: r.origin,
        volumes: r.volumes,
        files: r.files,
        bytes: r.bytes,
        storedBytes: r.storedBytes,
        skipped: r.skipped,
        verified: await store.verifiedState(r.id),
      });
    }
    return out;
  }
}

function checkLabel(label: string): string {
  if (label.length > LIMITS.labelChars || hasControlChars(label)) {
    throw new InvalidParamsError(l10n.t('A snapshot label is at most {0} characters on one line.', LIMITS.labelChars));
  }
  return label.trim();
}
