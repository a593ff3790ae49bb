// Capture: one streaming pass from the engine's archive endpoint, through hashing and parallel
// gzip, into a temp directory of the store; the manifest is written after the data, and the
// snapshot becomes visible by one rename. Named steps (crash seams, progress and docs):
//   capture.lock → capture.journal → capture.quiesce → capture.read-volume (per volume)
//   → capture.resume → capture.write-manifest → capture.commit → capture.catalog
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { AppliedQuiesce, HookOutcome, QuiesceMode, SnapshotSetRef, Workload } from '../../../protocol/src';
import { captureVolumeTar, FileMountError } from '../archive/captureVolume';
import { computeContentId } from '../archive/contentId';
import { SnapshotDataWriter } from '../archive/dataWriter';
import { linksLeaving } from '../archive/linkResolver';
import { MANIFEST_FORMAT, MANIFEST_SCHEMA_VERSION, manifestJson, type ManifestVolume, type SkippedMount, type SnapshotManifest } from '../archive/manifest';
import { displayName } from '../archive/names';
import { restoreProblem } from '../archive/restorable';
import { mountTargetProblem } from '../archive/paths';
import { crashPoint } from '../crash';
import type { ContainerDetails, Engine } from '../engine/engine';
import { CancelledError, RejectedError } from '../errors';
import { hooksFromLabels, type WorkloadHooks } from '../hooks/labels';
import { OperationHooks } from '../hooks/operationHooks';
import { acquireLock, type HeldLock } from '../locks';
import type { Log } from '../log';
import { throwIfCancelled, type OperationContext } from '../operation';
import { withPath } from '../state/atomicFile';
import { CATALOG_SCHEMA_VERSION, manifestSummary, type CatalogRecord } from './catalog';
import { commitSnapshot } from './commit';
import { newRecordId } from './recordIds';
import { newestFirst } from './resolve';
import { formatBytes } from './format';
import { writeNewFileDurable } from './durable';
import { OBJECT_FILES } from './layout';
import { quiesce, type Quiesced } from './quiesce';
import { emptyRecoveryReport, resumeQuiesced } from './recovery';
import type { Seal, SnapshotStore } from './store';
import { sha256Hex } from './hashing';

export interface CaptureOptions {
  readonly label: string;
  readonly quiesce: QuiesceMode;
  /**
   * Set for a restore's safety copy: the restore's ID. A second capture for the same restore
   * (its recovery after a crash) finds the first one's record instead of adding another.
   */
  readonly restoreId?: string;
  /** Set for a member of a project snapshot: the set it belongs to (catalog.ts, `SnapshotSetRef`). */
  readonly set?: SnapshotSetRef;
  /** Set for a capture a schedule took: the schedule's ID (retention thins its series). */
  readonly schedule?: string;
  /**
   * Awaited after the data is written and before the commit: a project capture holds every
   * member there until all of them have read their data (nothing of a failed set is stored),
   * a capture with hooks checks its post-hook.
   */
  readonly beforeCommit?: () => Promise<void>;
}

export interface CaptureOutcome {
  /** This capture's own record (new, except for a safety copy its restore had already stored). */
  readonly record: CatalogRecord;
  /** The store already held this content: the record shares the stored data. */
  readonly existing: boolean;
  /** This workload's newest earlier record of the same content, if any. */
  readonly sameContentAs?: string;
  readonly warnings: string[];
  /** The hooks that ran, in order. */
  readonly hooks: HookOutcome[];
}

export interface PlannedVolume {
  readonly target: string;
  readonly type: 'volume' | 'bind';
  readonly source: string;
  readonly readOnly: boolean;
  readonly nested: string[];
}

type EngineMount = ContainerDetails['Mounts'][number];

/** A workload made ready for capture: its lock held, its mounts planned, its hooks read. */
export interface PreparedCapture {
  readonly workload: Workload;
  readonly details: ContainerDetails;
  readonly planned: PlannedVolume[];
  readonly skippedMounts: SkippedMount[];
  readonly hooks: WorkloadHooks;
  readonly lock: HeldLock;
}

/**
 * Takes the workload's lock (Busy at once when another operation holds it), puts back what an
 * earlier crashed capture left quiesced, and plans the mounts and hooks, touching nothing. On any
 * failure the lock is released.
 */
export async function prepareCapture(
  store: SnapshotStore,
  engine: Engine,
  log: Log,
  workload: Workload,
  ctx: OperationContext,
  /** A project's service without volumes still takes part (its lock, its hooks). */
  options: { readonly allowEmpty?: boolean } = {},
): Promise<PreparedCapture> {
  const identity = workload.identity;
  const lock = await acquireLock(store.stateDir, 'workload', identity.key, 'capture', { signal: ctx.signal });
  try {
    crashPoint('capture.lock');
    await store.ensure();
    // A crash in an earlier capture of this workload may have left it quiesced: put it back
    // first, or this capture would take the paused state for the workload's own.
    await resumeQuiesced(store, () => engine, log, emptyRecoveryReport(), identity.key);
    const details = await engine.inspectContainer(workload.id, ctx.signal);
    // Unusable hook labels are refused here, before anything is touched.
    const hooks = hooksFromLabels(details.Config.Labels ?? {}, workload.name);
    const plan = planMounts(details.Mounts, Object.keys(details.HostConfig?.Tmpfs ?? {}));
    const skippedMounts = plan.skippedMounts;
    const planned: PlannedVolume[] = [];
    for (const volume of plan.volumes) {
      // A bind mount may be a single file or a socket (docker.sock): the engine's archive of it
      // is not a directory tree, so it is listed as skipped instead (checked before quiescing).
      const kind = await mountKind(engine, details.Id, volume.target, ctx.signal);
      if (kind === 'dir') planned.push(volume);
      else skippedMounts.push({ target: volume.target, type: volume.type, source: volume.source, reason: kind });
    }
    if (planned.length === 0 && !options.allowEmpty) {
      throw new RejectedError(
        plan.volumes.length > 0
          ? l10n.t('{0} has no directory mount to snapshot (single-file mounts are skipped).', workload.name)
          : l10n.t('{0} has no named volume or bind mount to snapshot.', workload.name),
      );
    }
    return { workload, details, planned, skippedMounts, hooks, lock };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

export async function captureSnapshot(store: SnapshotStore, engine: Engine, log: Log, workload: Workload, options: CaptureOptions, ctx: OperationContext): Promise<CaptureOutcome> {
  const prepared = await prepareCapture(store, engine, log, workload, ctx);
  const { details, planned, skippedMounts, lock } = prepared;
  const hooks = new OperationHooks(engine, [{ target: { containerId: details.Id, key: workload.identity.key, name: workload.name }, hooks: prepared.hooks }], { pre: 'pre-snapshot', post: 'post-snapshot' }, log, (m) => ctx.progress.report(m));
  try {
    const temp = await store.createTempDir('capture');
    try {
      // pre-snapshot, quiesce, read, resume, post-snapshot: the post-hook runs whatever happens
      // once the pre phase began (operationHooks.ts); a failing post-hook of an on-error=fail
      // workload stops the capture before its commit, so nothing is stored.
      const hold = async (): Promise<Quiesced> => {
        await hooks.pre(ctx.signal);
        let held: Quiesced;
        try {
          held = await quiesce(engine, store.layout, workload.identity.key, details.Id, options.quiesce, ctx.signal);
        } catch (error) {
          await hooks.post();
          throw error;
        }
        return {
          applied: held.applied,
          resume: async () => {
            try {
              await held.resume();
            } finally {
              await hooks.post();
            }
          },
        };
      };
      const beforeCommit = async () => {
        const failed = hooks.postFailure();
        if (failed) throw failed;
        await options.beforeCommit?.();
      };
      const outcome = await captureInto(temp, store, engine, workload, { containerId: details.Id, hold }, planned, skippedMounts, { ...options, beforeCommit }, ctx);
      return { ...outcome, warnings: [...hooks.warnings, ...outcome.warnings], hooks: hooks.outcomes };
    } catch (error) {
      // A full disk fails a write(2), whose error names no file: say it was this capture's.
      throw withPath(error, temp);
    } finally {
      await hooks.post();
      await rm(temp, { recursive: true, force: true });
    }
  } finally {
    await lock.release();
  }
}

/**
 * Captures volumes that are already still, read from a container the caller chose; the caller
 * holds the workload lock. Restore uses it for its safety copy: a created, never started helper
 * that mounts the moved-aside old data read-only at the original targets, so the snapshot has
 * the same targets, types and ID as a capture of the workload before the restore would have.
 */
export async function captureStillVolumes(
  store: SnapshotStore,
  engine: Engine,
  workload: Workload,
  containerId: string,
  planned: readonly PlannedVolume[],
  options: CaptureOptions & { readonly applied: AppliedQuiesce },
  ctx: OperationContext,
): Promise<CaptureOutcome> {
  await store.ensure();
  const temp = await store.createTempDir('capture');
  try {
    const source = { containerId, hold: async (): Promise<Quiesced> => ({ applied: options.applied, resume: async () => undefined }) };
    return await captureInto(temp, store, engine, workload, source, planned, [], options, ctx);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export async function captureInto(
  temp: string,
  store: SnapshotStore,
  engine: Engine,
  workload: Workload,
  source: { readonly containerId: string; hold(): Promise<Quiesced> },
  planned: readonly PlannedVolume[],
  skippedMounts: SkippedMount[],
  options: CaptureOptions,
  ctx: OperationContext,
): Promise<CaptureOutcome> {
  const handle = await open(join(temp, OBJECT_FILES.data), constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  const writer = new SnapshotDataWriter(handle);
  const volumes: ManifestVolume[] = [];
  let applied: AppliedQuiesce;
  let data;
  try {
    const held = await source.hold();
    applied = held.applied;
    try {
      for (const [position, volume] of planned.entries()) {
        throwIfCancelled(ctx.signal);
        const index = volumes.length;
        const captured = await readVolume(engine, source.containerId, volume, index, position, planned.length, writer, ctx);
        if (captured === 'file') {
          skippedMounts.push({ target: volume.target, type: volume.type, source: volume.source, reason: 'file' });
          continue;
        }
        volumes.push({ index, target: volume.target, type: volume.type, source: volume.source, readOnly: volume.readOnly, ...captured });
      }
    } finally {
      ctx.progress.report(l10n.t('Resuming {0}', workload.name));
      await held.resume();
    }
    if (volumes.length === 0) throw new RejectedError(l10n.t('{0} has no directory mount to snapshot (single-file mounts are skipped).', workload.name));
    throwIfCancelled(ctx.signal);
    ctx.progress.report(l10n.t('Writing the snapshot of {0}', workload.name), 92);
    data = await writer.finish();
  } catch (error) {
    writer.abort(error as Error);
    await writer.settled();
    throw ctx.signal.aborted ? new CancelledError() : error;
  } finally {
    await handle.close();
  }

  const manifest: SnapshotManifest = {
    format: MANIFEST_FORMAT,
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    id: computeContentId(volumes, MANIFEST_SCHEMA_VERSION),
    workload: workload.identity,
    capturedAt: new Date().toISOString(),
    quiesce: applied,
    label: options.label,
    volumes,
    skippedMounts,
    totals: { files: volumes.reduce((n, v) => n + v.files, 0), bytes: volumes.reduce((n, v) => n + v.bytes, 0) },
  };
  const manifestText = manifestJson(manifest);
  await writeNewFileDurable(join(temp, OBJECT_FILES.manifest), manifestText);
  const seal: Seal = { schemaVersion: 1, id: manifest.id, manifestSha256: sha256Hex(manifestText), dataSha256: data.sha256, dataBytes: data.bytes };
  await writeNewFileDurable(join(temp, OBJECT_FILES.seal), JSON.stringify(seal));
  crashPoint('capture.write-manifest');
  throwIfCancelled(ctx.signal);

  await options.beforeCommit?.();
  throwIfCancelled(ctx.signal);
  ctx.progress.report(l10n.t('Storing snapshot {0}', manifest.id.slice(0, 12)), 97);
  const key = workload.identity.key;
  const committed = await commitSnapshot(store, temp, manifest.id, key, { commit: 'capture.commit', catalog: 'capture.catalog' }, ({ storedBytes, records }) => {
    const same = newestFirst(records.filter((r) => r.id === manifest.id));
    const again = options.restoreId !== undefined ? same.find((r) => r.restoreId === options.restoreId) : undefined;
    if (again) return { record: again, write: false, sameContentAs: undefined };
    const record: CatalogRecord = {
      schemaVersion: CATALOG_SCHEMA_VERSION,
      recordId: newRecordId(manifest.capturedAt),
      id: manifest.id,
      workload: workload.identity,
      capturedAt: manifest.capturedAt,
      label: options.label,
      pinned: false,
      quiesce: manifest.quiesce,
      origin: 'capture',
      ...(options.restoreId !== undefined ? { restoreId: options.restoreId } : {}),
      ...(options.set !== undefined ? { set: options.set } : {}),
      ...(options.schedule !== undefined ? { schedule: options.schedule } : {}),
      ...manifestSummary(manifest),
      storedBytes,
    };
    return { record, write: true, sameContentAs: same[0]?.recordId };
  });
  return { record: committed.record, existing: !committed.created, ...(committed.sameContentAs ? { sameContentAs: committed.sameContentAs } : {}), warnings: warningsOf(manifest), hooks: [] };
}

async function readVolume(
  engine: Engine,
  containerId: string,
  volume: PlannedVolume,
  index: number,
  position: number,
  count: number,
  writer: SnapshotDataWriter,
  ctx: OperationContext,
): Promise<Omit<ManifestVolume, 'index' | 'target' | 'type' | 'source' | 'readOnly'> | 'file'> {
  const report = throttled((bytes: number) =>
    ctx.progress.report(l10n.t('Reading volume {0}/{1} ({2}): {3}', position + 1, count, volume.target, formatBytes(bytes)), Math.round((position / count) * 90)),
  );
  report(0, true);
  const stream = await engine.getArchive(containerId, volume.target, ctx.signal);
  try {
    const captured = await captureVolumeTar(stream, {
      index,
      target: volume.target,
      nestedMounts: volume.nested,
      writer,
      signal: ctx.signal,
      onBytes: (bytes) => report(bytes, false),
      afterFirstEntry: () => crashPoint('capture.read-volume'),
    });
    report(captured.bytes, true);
    return captured;
  } catch (error) {
    if (error instanceof FileMountError) return 'file';
    throw error;
  } finally {
    stream.destroy();
  }
}

/** Go's os.FileMode type bits, as the engine's path stat reports them. */
const GO_MODE = { dir: 31, symlink: 27, device: 26, namedPipe: 25, socket: 24, charDevice: 21, irregular: 19 } as const;

function hasBit(mode: number, bit: number): boolean {
  return Math.floor(mode / 2 ** bit) % 2 === 1;
}

async function mountKind(engine: Engine, containerId: string, target: string, signal: AbortSignal): Promise<'dir' | 'file' | 'unsupported'> {
  const { mode } = await engine.statPath(containerId, target, signal);
  if (hasBit(mode, GO_MODE.dir)) return 'dir';
  // No type bit at all: a regular file.
  return Object.values(GO_MODE).some((bit) => hasBit(mode, bit)) ? 'unsupported' : 'file';
}

/** Which mounts a snapshot holds (named volumes and binds, by target) and which it skips. */
export function planMounts(engineMounts: readonly EngineMount[], tmpfsTargets: readonly string[] = []): { volumes: PlannedVolume[]; skippedMounts: SkippedMount[] } {
  const volumes: PlannedVolume[] = [];
  const skippedMounts: SkippedMount[] = [];
  const tmpfs: EngineMount[] = tmpfsTargets.filter((t) => !engineMounts.some((m) => m.Destination === t)).map((t) => ({ Type: 'tmpfs', Source: '', Destination: t, RW: true }));
  const sorted = [...engineMounts, ...tmpfs].sort((a, b) => (a.Destination < b.Destination ? -1 : a.Destination > b.Destination ? 1 : 0));
  for (const m of sorted) {
    const source = m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source;
    const anonymous = m.Type === 'volume' && !!m.Name && /^[0-9a-f]{64}$/.test(m.Name);
    if (m.Type === 'tmpfs') skippedMounts.push({ target: m.Destination, type: m.Type, source: '', reason: 'tmpfs' });
    else if (anonymous) skippedMounts.push({ target: m.Destination, type: m.Type, source, reason: 'anonymous' });
    else if ((m.Type !== 'volume' && m.Type !== 'bind') || mountTargetProblem(m.Destination)) {
      skippedMounts.push({ target: m.Destination, type: m.Type, source, reason: 'unsupported' });
    } else {
      volumes.push({ target: m.Destination, type: m.Type, source, readOnly: !m.RW, nested: [] });
    }
  }
  for (const v of volumes) {
    for (const m of sorted) {
      if (m.Destination.startsWith(`${v.target}/`)) v.nested.push(m.Destination.slice(v.target.length + 1));
    }
  }
  return { volumes, skippedMounts };
}

export function warningsOf(manifest: SnapshotManifest): string[] {
  const warnings: string[] = [];
  for (const m of manifest.skippedMounts) warnings.push(l10n.t('Skipped the {0} mount {1} ({2}).', m.type, m.target, m.reason));
  for (const v of manifest.volumes) {
    for (const s of v.skipped) {
      if (s.kind === 'nested-mount') continue;
      warnings.push(l10n.t('Skipped {0} in {1}: {2}.', displayName(s.path), v.target, s.detail));
    }
    // Not a problem of the snapshot (a link's target is data, and nothing Berth does follows
    // one), but worth knowing: resolved through every link of the tree, these leave the volume.
    const leaving = linksLeaving(v.entries, v.target);
    if (leaving.length > 0) {
      const shown = leaving.slice(0, 5).map((l) => `${displayName(l.path)} -> ${displayName(l.target)}${l.through.length > 0 ? ` (${l10n.t('through {0}', l.through.map(displayName).join(', '))})` : ''}`);
      warnings.push(
        l10n.t('{0} symlink(s) in {1} lead outside the volume; they are kept as links and never followed: {2}{3}', leaving.length, v.target, shown.join('; '), leaving.length > shown.length ? ' …' : ''),
      );
    }
  }
  const unrestorable = restoreProblem(manifest);
  if (unrestorable) warnings.push(l10n.t('Berth cannot restore this snapshot: {0}', unrestorable.message));
  return warnings;
}


function throttled(report: (bytes: number) => void): (bytes: number, force: boolean) => void {
  let last = 0;
  return (bytes, force) => {
    const now = Date.now();
    if (!force && now - last < 250) return;
    last = now;
    report(bytes);
  };
}
