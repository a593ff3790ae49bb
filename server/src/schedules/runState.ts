// The durable record of one schedule's runs: <state>/schedules/runs/<id>.json, keyed by the
// schedule's identity, written atomically. `lastSlot` is the newest cron slot a run has claimed:
// it is written (with the run marked `running` and its owner) before the snapshot is taken, so a
// slot is taken at most once whatever happens after (a crash, a second `schedule run`), and the
// outcome is written after. A record that cannot be read is set aside (`.corrupt-<time>`, kept)
// and a new one started: it holds no data, only run history.
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { ScheduleRun } from '../../../protocol/src';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import type { Log } from '../log';
import { ownerAlive, type Owner } from '../snapshots/liveness';
import { schedulesDir } from './file';

/** How many runs a record keeps (newest last). */
const KEPT_RUNS = 20;

export interface StoredRun extends ScheduleRun {
  /** The process running it, while `outcome` is `running`. */
  readonly owner?: Owner;
}

export interface RunState {
  readonly schemaVersion: 1;
  readonly id: string;
  /** When Berth first saw this schedule: its slots count from then (the schedule's creation). */
  readonly firstSeen: string;
  /** The newest slot a run has claimed (ISO). */
  readonly lastSlot?: string;
  readonly runs: readonly StoredRun[];
}

export function runsDir(stateDir: string): string {
  return join(schedulesDir(stateDir), 'runs');
}

function statePath(stateDir: string, id: string): string {
  return join(runsDir(stateDir), `${id}.json`);
}

export async function readRunState(stateDir: string, id: string, log: Log): Promise<RunState | undefined> {
  const path = statePath(stateDir, id);
  let damaged: string | undefined;
  const state = await readJsonFile(path, (v) => validState(v, id), (why) => (damaged = why));
  if (damaged === undefined) return state;
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  try {
    await rename(path, aside);
    await fsyncDir(runsDir(stateDir));
    log.warn(l10n.t('The run record of schedule {0} could not be read ({1}); it was kept as {2}, and a new one was started.', id, damaged, aside));
  } catch (error) {
    log.warn(l10n.t('The run record of schedule {0} could not be read ({1}) nor set aside: {2}', id, damaged, (error as Error).message));
  }
  return undefined;
}

export async function writeRunState(stateDir: string, state: RunState): Promise<void> {
  await mkdir(runsDir(stateDir), { recursive: true, mode: 0o700 });
  await writeJsonAtomic(statePath(stateDir, state.id), { ...state, runs: state.runs.slice(-KEPT_RUNS) });
}

/** Runs whose owner died while they ran become `interrupted` (their slot stays taken). */
export async function settleDeadRuns(state: RunState): Promise<RunState> {
  const runs: StoredRun[] = [];
  for (const r of state.runs) {
    if (r.outcome === 'running' && r.owner && !(await ownerAlive(r.owner))) {
      const { owner: _owner, ...rest } = r;
      runs.push({ ...rest, outcome: 'interrupted', message: l10n.t('the process running it (PID {0}) ended before it finished', r.owner.pid) });
    } else runs.push(r);
  }
  return { ...state, runs };
}

/** The newest run, without its owner. */
export function lastRunOf(state: RunState | undefined): ScheduleRun | undefined {
  const last = state?.runs.at(-1);
  if (!last) return undefined;
  const { owner: _owner, ...run } = last;
  return run;
}

function validState(value: unknown, id: string): RunState | undefined {
  const v = value as Partial<RunState> | null;
  if (!v || v.schemaVersion !== 1 || v.id !== id || typeof v.firstSeen !== 'string' || !Number.isFinite(Date.parse(v.firstSeen))) return undefined;
  if (v.lastSlot !== undefined && (typeof v.lastSlot !== 'string' || !Number.isFinite(Date.parse(v.lastSlot)))) return undefined;
  if (!Array.isArray(v.runs) || !v.runs.every(validRun)) return undefined;
  return v as RunState;
}

const OUTCOMES: readonly string[] = ['running', 'ok', 'failed', 'skipped-busy', 'interrupted'];

function validRun(value: unknown): boolean {
  const r = value as Partial<StoredRun> | null;
  return !!r && typeof r.slot === 'string' && typeof r.startedAt === 'string' && typeof r.outcome === 'string' && OUTCOMES.includes(r.outcome);
}
