// The restore's write-ahead journal: one small JSON file per restore under
// <state>/restore/journals/<id>.json, rewritten atomically (temp file, fsync, rename, fsync dir)
// BEFORE each step, so after a crash the file always names the step that may have been under way
// and everything the recovery needs to finish or undo it: the workload and its prior run state,
// and per volume the engine-host paths, the generated names and the ids (device:inode) of the old
// and the new directory. Recovery decides by what it finds on disk (ids), not by trusting the
// per-volume state, which is informative.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PriorRunState, RestoreStep, WorkloadIdentity } from '../../../protocol/src';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import type { Owner } from '../snapshots/liveness';

/** Where the restore is; `committed` and later mean the new data stays (roll forward). */
export type RestorePhase = 'prepared' | 'staging' | 'staged' | 'stopping' | 'swapping' | 'committed' | 'started' | 'safety' | 'cleanup' | 'rolling-back';

const PHASES: readonly RestorePhase[] = ['prepared', 'staging', 'staged', 'stopping', 'swapping', 'committed', 'started', 'safety', 'cleanup', 'rolling-back'];
const FORWARD: ReadonlySet<RestorePhase> = new Set(['committed', 'started', 'safety', 'cleanup']);

export type VolumeState = 'planned' | 'staging' | 'staged' | 'moving-aside' | 'aside' | 'moving-in' | 'swapped' | 'rolled-back';
const VOLUME_STATES: readonly VolumeState[] = ['planned', 'staging', 'staged', 'moving-aside', 'aside', 'moving-in', 'swapped', 'rolled-back'];

export interface JournalVolume {
  readonly index: number;
  readonly target: string;
  readonly type: 'volume' | 'bind';
  /** Volume name or bind host path, as the container mounts it now. */
  readonly source: string;
  readonly readOnly: boolean;
  /** Other mounts below this target (volume-relative), kept out of the safety copy's content. */
  readonly nested: readonly string[];
  /** Engine-host directory that holds the live data, the stage and the aside directory. */
  readonly hostParent: string;
  /** Where the helper mounts hostParent. */
  readonly helperDir: string;
  readonly liveName: string;
  readonly stageName: string;
  readonly asideName: string;
  readonly conflictName: string;
  /** device:inode of the live directory when the restore began (the old data). */
  readonly oldId: string;
  /** device:inode of the staging directory (the new data), once created. */
  newId?: string;
  state: VolumeState;
}

export interface RestoreJournal {
  readonly schemaVersion: 1;
  readonly id: string;
  /** Who runs it; recovery takes over journals whose owner is gone (or `NO_OWNER`). */
  owner: Owner;
  readonly workload: WorkloadIdentity;
  readonly workloadName: string;
  readonly containerId: string;
  readonly snapshotId: string;
  readonly helperImage: string;
  /** The run state just before the stop, which the workload gets back. */
  prior: PriorRunState;
  readonly startedAt: string;
  phase: RestorePhase;
  step: RestoreStep;
  /** Set (durably) before the restore stops the workload; cleared once it runs again. */
  stopped?: boolean;
  /** The container's State.StartedAt once stopped: a different value later means someone started it. */
  stoppedStartedAt?: string;
  safetySnapshotId?: string;
  readonly volumes: JournalVolume[];
  updatedAt: string;
}

export function journalDir(stateDir: string): string {
  return join(stateDir, 'restore', 'journals');
}

export function journalPath(stateDir: string, id: string): string {
  return join(journalDir(stateDir), `${id}.json`);
}

export function isForward(phase: RestorePhase): boolean {
  return FORWARD.has(phase);
}

export async function writeJournal(stateDir: string, journal: RestoreJournal): Promise<void> {
  await mkdir(journalDir(stateDir), { recursive: true, mode: 0o700 });
  journal.updatedAt = new Date().toISOString();
  await writeJsonAtomic(journalPath(stateDir, journal.id), journal);
}

export async function removeJournal(stateDir: string, id: string): Promise<void> {
  await rm(journalPath(stateDir, id), { force: true });
  await fsyncDir(journalDir(stateDir)).catch(() => undefined);
}

/** Journal IDs on disk (file names only; each is read and validated separately). */
export async function journalIds(stateDir: string): Promise<string[]> {
  try {
    return (await readdir(journalDir(stateDir))).filter((n) => /^[0-9a-f]{16}\.json$/.test(n)).map((n) => n.slice(0, -5));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function readJournal(stateDir: string, id: string, onCorrupt?: (why: string) => void): Promise<RestoreJournal | undefined> {
  return readJsonFile(journalPath(stateDir, id), (v) => validateJournal(v, id), onCorrupt);
}

/**
 * A journal that cannot be read is kept (renamed) for a person to look at, never acted upon,
 * and never renamed over an earlier one set aside under the same name (rename(2) replaces).
 */
export async function setAsideCorrupt(stateDir: string, id: string): Promise<string> {
  let to = join(journalDir(stateDir), `${id}.corrupt`);
  for (let n = 1; await stat(to).then(() => true, () => false); n++) to = join(journalDir(stateDir), `${id}.corrupt-${n}`);
  await rename(journalPath(stateDir, id), to);
  await fsyncDir(journalDir(stateDir));
  return to;
}

const NAME = /^[^/\0]{1,255}$/;
const DEV_INO = /^\d+:\d+$/;

function validateJournal(value: unknown, id: string): RestoreJournal | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const j = value as Record<string, unknown>;
  const owner = j.owner as Record<string, unknown> | undefined;
  const workload = j.workload as Record<string, unknown> | undefined;
  const ok =
    j.schemaVersion === 1 &&
    j.id === id &&
    typeof owner === 'object' && owner !== null &&
    typeof owner.pid === 'number' && typeof owner.startTime === 'string' && typeof owner.host === 'string' &&
    typeof workload === 'object' && workload !== null &&
    (workload.kind === 'compose' || workload.kind === 'container') && typeof workload.key === 'string' && typeof workload.label === 'string' &&
    typeof j.workloadName === 'string' &&
    typeof j.containerId === 'string' &&
    typeof j.snapshotId === 'string' && /^[0-9a-f]{64}$/.test(j.snapshotId) &&
    typeof j.helperImage === 'string' && j.helperImage !== '' &&
    (j.prior === 'running' || j.prior === 'paused' || j.prior === 'stopped') &&
    PHASES.includes(j.phase as RestorePhase) &&
    typeof j.step === 'string' &&
    (j.stopped === undefined || typeof j.stopped === 'boolean') &&
    (j.safetySnapshotId === undefined || (typeof j.safetySnapshotId === 'string' && /^[0-9a-f]{64}$/.test(j.safetySnapshotId))) &&
    Array.isArray(j.volumes) && j.volumes.length > 0 && j.volumes.every(validVolume);
  return ok ? (value as RestoreJournal) : undefined;
}

function validVolume(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.index === 'number' &&
    typeof v.target === 'string' && v.target.startsWith('/') &&
    (v.type === 'volume' || v.type === 'bind') &&
    typeof v.source === 'string' &&
    typeof v.readOnly === 'boolean' &&
    Array.isArray(v.nested) && v.nested.every((n) => typeof n === 'string') &&
    typeof v.hostParent === 'string' && v.hostParent.startsWith('/') &&
    typeof v.helperDir === 'string' && /^\/berth\/p\d+$/.test(v.helperDir) &&
    [v.liveName, v.stageName, v.asideName, v.conflictName].every((n) => typeof n === 'string' && NAME.test(n) && n !== '.' && n !== '..') &&
    typeof v.oldId === 'string' && DEV_INO.test(v.oldId) &&
    (v.newId === undefined || (typeof v.newId === 'string' && DEV_INO.test(v.newId))) &&
    VOLUME_STATES.includes(v.state as VolumeState)
  );
}
