import * as l10n from '@vscode/l10n';
import type {
  CreateProjectSnapshotParams,
  CreateProjectSnapshotResult,
  CreateSnapshotParams,
  DeleteStep,
  CreateSnapshotResult,
  DeleteSnapshotResult,
  ExportSnapshotResult,
  ImportSnapshotResult,
  ListSnapshotsResult,
  OrphanSnapshotInfo,
  PruneSnapshotsResult,
  QuarantinedRecordInfo,
  RetentionPolicy,
  RetentionStep,
  SnapshotInfo,
  SnapshotRef,
  VerifySnapshotResult,
} from '../../../protocol/src';
import { LIMITS } from '../archive/manifest';
import { hasControlChars } from '../archive/paths';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { echo } from '../echo';
import { BerthError, InvalidParamsError } from '../errors';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import type { UserOutputOptions } from '../output/userOutput';
import { fsErrorMessage } from '../state/fsErrors';
import { entryCount, stateDirWritable } from '../state/folderChecks';
import type { WorkloadService } from '../workloads/workloadService';
import { adoptObject } from './adopt';
import { captureSnapshot } from './capture';
import { CATALOG_SCHEMA_VERSION, manifestSummary, type CatalogRecord } from './catalog';
import { commitSnapshot } from './commit';
import { keyDigest } from './layout';
import { loadCatalog } from './migration';
import { listQuarantine } from './quarantine';
import { newRecordId } from './recordIds';
import { recoverSnapshots, type SnapshotRecoveryReport } from './recovery';
import { references } from './references';
import { newestFirst, resolveSnapshot } from './resolve';
import type { ParsedParams, PruneSnapshotsParams } from '../../../protocol/src/params';
import { captureProject } from './project';
import { describePolicy, parseDuration, policyIsEmpty } from './retention';
import { decideUnits, projectUnits, workloadUnits, type RecordUnit } from './retentionUnits';
import { SnapshotStore } from './store';
import { exportSnapshot, importFile } from './transfer';
import { loadSealedManifest, verifyObject } from './verify';

export interface SnapshotHost {
  readonly stateDir: string;
  engine(): Engine;
  readonly workloads: WorkloadService;
  /** Finishes a crashed restore of the workload first, so a capture never reads half-swapped volumes. */
  settleWorkload?(key: string): Promise<void>;
  /** The time retention counts from (the clock tests inject; docs/schedules.md). */
  now?(): number;
}

/** What the backend itself adds to a capture: a schedule's ID (docs/schedules.md). */
export interface CaptureExtras {
  readonly schedule?: string;
}

export type PruneRequest = ParsedParams<typeof PruneSnapshotsParams>;

/** The snapshot operations the RPC handlers and the CLI call. Holds no RPC or CLI types. */
export class SnapshotService {
  constructor(
    private readonly host: SnapshotHost,
    private readonly log: Log,
  ) {}

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

  /** The records (newest first) of all workloads or one. */
  async list(workloadRef: string | undefined, signal?: AbortSignal): Promise<SnapshotInfo[]> {
    return (await this.listAll(workloadRef, signal)).snapshots as SnapshotInfo[];
  }

  /** The records, and what needs attention: orphaned objects and records set aside. */
  async listAll(workloadRef: string | undefined, signal?: AbortSignal): Promise<ListSnapshotsResult> {
    const store = this.store();
    const key = workloadRef === undefined ? undefined : await this.workloadKey(store, workloadRef, signal);
    const all = await loadCatalog(store);
    const records = key === undefined ? all.records : all.records.filter((r) => r.workload.key === key);
    const objects = new Set(await store.objectIds());
    const snapshots = await this.infos(store, records, objects);
    const referenced = new Set(all.records.map((r) => r.id));
    const orphans: OrphanSnapshotInfo[] = [];
    for (const id of objects) {
      if (referenced.has(id)) continue;
      const orphan = await orphanInfo(store, id);
      if (key === undefined || orphan.manifest?.workload.key === key) orphans.push(orphan);
    }
    const quarantined: QuarantinedRecordInfo[] = [];
    const digest = key === undefined ? undefined : keyDigest(key);
    for (const u of all.unreadable) {
      if (digest !== undefined && u.digest !== digest) continue;
      quarantined.push({ entry: '', from: `snapshots/${u.relative}`, reason: u.reason, at: '', contentId: u.contentId, ...(u.recordId ? { recordId: u.recordId } : {}), objectPresent: objects.has(u.contentId) });
    }
    for (const e of await listQuarantine(store.layout)) {
      if (e.adoptedAs) continue;
      if (digest !== undefined && !e.from.startsWith(`snapshots/records/${digest}/`)) continue;
      quarantined.push({ entry: e.entry, from: e.from, reason: e.reason, at: e.at, ...(e.contentId ? { contentId: e.contentId } : {}), ...(e.recordId ? { recordId: e.recordId } : {}), objectPresent: e.contentId !== undefined && objects.has(e.contentId) });
    }
    return { snapshots, orphans, quarantined };
  }

  async create(params: CreateSnapshotParams, ctx: OperationContext, extras: CaptureExtras = {}): Promise<CreateSnapshotResult> {
    const label = checkLabel(params.label ?? '');
    const workload = await this.host.workloads.resolve(params.workload, ctx.signal);
    await this.host.settleWorkload?.(workload.identity.key);
    const store = this.store();
    // Schema-1 records of this store are migrated before a capture adds records beside them.
    await loadCatalog(store, workload.identity.key);
    const outcome = await captureSnapshot(store, this.host.engine(), this.log, workload, { label, quiesce: params.quiesce ?? 'pause', ...extras }, ctx);
    const pruned = params.keep ? (await this.applyRetention(store, { kind: 'workload', key: workload.identity.key }, { last: params.keep }, false, outcome.record.recordId)).removed : [];
    const [snapshot] = await this.infos(store, [outcome.record]);
    if (!snapshot) throw new Error('capture produced no catalog entry');
    return {
      snapshot,
      existing: outcome.existing,
      ...(outcome.sameContentAs ? { sameContentAs: outcome.sameContentAs } : {}),
      warnings: outcome.warnings,
      pruned: [...pruned],
      ...(outcome.hooks.length > 0 ? { hooks: outcome.hooks } : {}),
    };
  }

  /** Every service of a compose project as one consistent set (project.ts). */
  async createProject(params: CreateProjectSnapshotParams, ctx: OperationContext, extras: CaptureExtras = {}): Promise<CreateProjectSnapshotResult> {
    const label = checkLabel(params.label ?? '');
    const members = (await this.host.workloads.list(true, ctx.signal)).filter((w) => w.composeProject === params.project);
    for (const m of members) await this.host.settleWorkload?.(m.identity.key);
    const store = this.store();
    await loadCatalog(store);
    const outcome = await captureProject(store, this.host.engine(), this.log, params.project, members, { label, quiesce: params.quiesce ?? 'pause', ...extras }, ctx);
    const snapshots = await this.infos(store, outcome.members.map((m) => m.record));
    // infos() sorts newest first; the set lists its members in dependency order.
    const order = outcome.members.map((m) => m.record.recordId);
    snapshots.sort((a, b) => order.indexOf(a.recordId) - order.indexOf(b.recordId));
    return {
      set: { id: outcome.set.id, project: outcome.set.project, members: outcome.members.length },
      snapshots,
      withoutData: outcome.withoutData,
      warnings: outcome.warnings,
      ...(outcome.hooks.length > 0 ? { hooks: outcome.hooks } : {}),
    };
  }

  async verify(ref: SnapshotRef, ctx: OperationContext): Promise<VerifySnapshotResult> {
    const store = this.store();
    const [record] = await resolveSnapshot(store, ref, 'content');
    return verifyObject(store, (record as CatalogRecord).id, ctx);
  }

  /** Removes one record; its object goes when nothing needs it any more. */
  async remove(ref: SnapshotRef): Promise<DeleteSnapshotResult> {
    const store = this.store();
    const [target] = (await resolveSnapshot(store, ref, 'record')) as [CatalogRecord];
    return store.withLock('snapshot-delete', async () => {
      const current = (await store.catalog.scan(target.workload.key)).records.find((r) => r.recordId === target.recordId);
      if (!current) return { deleted: [], freedBytes: 0 };
      const freedBytes = await removeRecords(store, [current], 'delete.records');
      return { deleted: [{ recordId: current.recordId, id: current.id, workload: current.workload.key }], freedBytes };
    });
  }

  async pin(ref: SnapshotRef, pinned: boolean): Promise<SnapshotInfo[]> {
    const store = this.store();
    const [target] = (await resolveSnapshot(store, ref, 'record')) as [CatalogRecord];
    const updated = await store.withLock('snapshot-pin', async () => {
      const current = (await store.catalog.scan(target.workload.key)).records.find((r) => r.recordId === target.recordId);
      if (!current) return [];
      const next = { ...current, pinned };
      await store.catalog.write(next);
      return [next];
    });
    return this.infos(store, updated);
  }

  /** `output.stdout`: where `-` writes (the CLI); the backend has none. */
  async export(ref: SnapshotRef, file: string, ctx: OperationContext, output: UserOutputOptions = {}): Promise<ExportSnapshotResult> {
    const store = this.store();
    // Several records of the same content: the newest one's metadata goes into the file.
    const [record] = await resolveSnapshot(store, ref, 'content');
    return exportSnapshot(store, record as CatalogRecord, file, ctx, output);
  }

  async import(file: string, ctx: OperationContext): Promise<ImportSnapshotResult> {
    const store = this.store();
    await loadCatalog(store);
    let result: { record: CatalogRecord; existing: boolean } | undefined;
    await importFile(store, file, ctx, async (temp, { manifest, seal }) => {
      const committed = await commitSnapshot(store, temp, manifest.id, manifest.workload.key, { commit: 'import.commit', catalog: 'import.catalog' }, ({ storedBytes, records }) => {
        // The same capture imported again (same workload, content and capture time) is not a new record.
        const same = records.find((r) => r.id === manifest.id && r.capturedAt === manifest.capturedAt);
        if (same) return { record: same, write: false };
        const record: CatalogRecord = {
          schemaVersion: CATALOG_SCHEMA_VERSION,
          recordId: newRecordId(manifest.capturedAt),
          id: manifest.id,
          workload: manifest.workload,
          capturedAt: manifest.capturedAt,
          label: manifest.label,
          pinned: false,
          quiesce: manifest.quiesce,
          origin: 'import',
          ...manifestSummary(manifest),
          storedBytes,
        };
        return { record, write: true };
      });
      // Both passes checked every byte against the manifest; the copy on disk is sealed.
      if (committed.created && seal.id === manifest.id) await store.writeVerifiedState(manifest.id, { state: 'ok', at: new Date().toISOString() });
      result = { record: committed.record, existing: !committed.written };
    });
    if (!result) throw new Error('import finished without a catalog entry');
    const [snapshot] = await this.infos(store, [result.record]);
    return { snapshot: snapshot as SnapshotInfo, existing: result.existing };
  }

  /** A record for an orphaned object, from its own manifest (see adopt.ts). */
  async adopt(id: string): Promise<SnapshotInfo> {
    const store = this.store();
    const record = await adoptObject(store, id);
    const [snapshot] = await this.infos(store, [record]);
    return snapshot as SnapshotInfo;
  }

  /**
   * Retention now, for one workload's own snapshots or one project's sets (docs/snapshots.md,
   * "Retention"); with `dryRun` it only decides and reports.
   */
  async prune(params: PruneRequest, signal?: AbortSignal): Promise<PruneSnapshotsResult> {
    const policy = policyOf(params);
    if ((params.workload === undefined) === (params.project === undefined)) {
      throw new InvalidParamsError(l10n.t('Retention applies to one workload or one compose project: give exactly one of "workload" and "project".'));
    }
    const store = this.store();
    const group: RetentionGroup =
      params.project !== undefined ? { kind: 'project', project: params.project } : { kind: 'workload', key: await this.workloadKey(store, params.workload as string, signal) };
    await loadCatalog(store);
    return this.applyRetention(store, group, policy, params.dryRun === true);
  }

  /** Decides and (unless `dryRun`) removes, under the store lock, so nothing changes meanwhile. */
  async applyRetention(store: SnapshotStore, group: RetentionGroup, policy: RetentionPolicy, dryRun: boolean, protect?: string): Promise<PruneSnapshotsResult> {
    return store.withLock('snapshot-retention', async () => {
      const records = (await store.catalog.scan()).records;
      const units: RecordUnit[] = group.kind === 'project' ? projectUnits(records, group.project) : workloadUnits(records, group.key);
      const decisions = decideUnits(units, policy, this.host.now?.() ?? Date.now(), protect);
      const doomed = decisions.filter((d) => !d.info.keep).flatMap((d) => d.unit.records);
      const freedBytes = dryRun ? 0 : await removeRecords(store, doomed, 'retention.records');
      return { removed: doomed.map((r) => r.recordId), dryRun, policy: describePolicy(policy), decisions: decisions.map((d) => d.info), freedBytes };
    });
  }

  /** A workload's identity key: given directly, or resolved via the engine, or by container name. */
  private async workloadKey(store: SnapshotStore, ref: string, signal?: AbortSignal): Promise<string> {
    if (ref.startsWith('container:') || ref.startsWith('compose:')) return ref;
    try {
      return (await this.host.workloads.resolve(ref, signal)).identity.key;
    } catch (error) {
      // Snapshots outlive their containers: a removed container's name still finds them.
      const byName = `container:${ref}`;
      if (error instanceof BerthError && (error.codeName === 'NotFound' || error.codeName === 'EngineUnreachable') && (await loadCatalog(store, byName)).records.length > 0) {
        return byName;
      }
      throw error;
    }
  }

  private async infos(store: SnapshotStore, records: readonly CatalogRecord[], objects?: ReadonlySet<string>): Promise<SnapshotInfo[]> {
    const present = objects ?? new Set(await store.objectIds());
    const out: SnapshotInfo[] = [];
    for (const r of newestFirst(records)) {
      const { schemaVersion: _schema, ...fields } = r;
      out.push({ ...fields, verified: await store.verifiedState(r.id), ...(present.has(r.id) ? {} : { dataMissing: true }) });
    }
    return out;
  }
}

/**
 * Removes records, then each object no longer needed (docs/snapshots.md, "Delete and pin").
 * Under the store lock. Before the last record of an object goes, an intent marker says the
 * object is being deleted, so a crash at `step` (records gone, object not yet) is finished by
 * the next sweep instead of leaving an orphan. Returns the stored bytes freed.
 */
async function removeRecords(store: SnapshotStore, doomed: readonly CatalogRecord[], step: DeleteStep | RetentionStep): Promise<number> {
  if (doomed.length === 0) return 0;
  const gone = new Set(doomed.map((r) => `${r.workload.key}\0${r.recordId}`));
  const scan = await store.catalog.scan();
  const remaining = { ...scan, records: scan.records.filter((r) => !gone.has(`${r.workload.key}\0${r.recordId}`)) };
  const refs = await references(store, remaining);
  const freeable = [...new Set(doomed.map((r) => r.id))].filter((id) => !refs.needs(id));
  for (const id of freeable) await store.markIntent(id, 'delete');
  for (const record of doomed) await store.catalog.remove(record);
  crashPoint(step);
  let freed = 0;
  for (const id of freeable) {
    freed += (await store.readSeal(id).catch(() => undefined))?.dataBytes ?? 0;
    await store.removeObject(id);
    await store.clearIntent(id);
  }
  return freed;
}

async function orphanInfo(store: SnapshotStore, id: string): Promise<OrphanSnapshotInfo> {
  try {
    const { seal, manifest } = await loadSealedManifest(store, id);
    const summary = manifestSummary(manifest);
    return {
      id,
      storedBytes: seal.dataBytes,
      manifest: { workload: manifest.workload, capturedAt: manifest.capturedAt, label: manifest.label, quiesce: manifest.quiesce, volumes: summary.volumes.length, files: summary.files, bytes: summary.bytes },
    };
  } catch (error) {
    return { id, storedBytes: 0, problem: (error as Error).message };
  }
}

export type RetentionGroup = { readonly kind: 'workload'; readonly key: string } | { readonly kind: 'project'; readonly project: string };

/** The policy a prune request asks for; InvalidParams when it asks for none (as restic). */
function policyOf(params: PruneRequest): RetentionPolicy {
  if (params.keep !== undefined && params.keepLast !== undefined) {
    throw new InvalidParamsError(l10n.t('"keep" and "keepLast" are the same rule; give one of them.'));
  }
  const last = params.keep ?? params.keepLast;
  if (params.keepWithin !== undefined) parseDuration(params.keepWithin);
  const policy: RetentionPolicy = {
    ...(last !== undefined ? { last } : {}),
    ...(params.keepHourly !== undefined ? { hourly: params.keepHourly } : {}),
    ...(params.keepDaily !== undefined ? { daily: params.keepDaily } : {}),
    ...(params.keepWeekly !== undefined ? { weekly: params.keepWeekly } : {}),
    ...(params.keepMonthly !== undefined ? { monthly: params.keepMonthly } : {}),
    ...(params.keepYearly !== undefined ? { yearly: params.keepYearly } : {}),
    ...(params.keepWithin !== undefined ? { within: params.keepWithin } : {}),
  };
  if (policyIsEmpty(policy)) {
    throw new InvalidParamsError(l10n.t('A retention policy needs at least one rule (keep-last, keep-hourly, keep-daily, keep-weekly, keep-monthly, keep-yearly or keep-within); without one nothing would be kept.'));
  }
  return policy;
}

function checkLabel(label: string): string {
  if (label.length > LIMITS.labelChars || hasControlChars(label)) {
    throw new InvalidParamsError(l10n.t('A snapshot label is at most {0} characters on one line.', LIMITS.labelChars));
  }
  return label.trim();
}
