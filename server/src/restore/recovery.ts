// The recovery sweep: finishes or undoes every restore that a dead process left unfinished, so
// that each volume is exactly old or exactly new, leftovers are removed once that is safe, and a
// workload the crash left stopped runs again. Run at backend start before any request is served,
// by `berth recover` and the berth/recovery/run request, at the start of CLI commands, and by a
// restore for its own workload before it begins.
//
// Steps (crash seams): recover.helper → recover.settle → recover.start → recover.safety
// → recover.cleanup. Every step is idempotent and decided from what is on disk (device:inode
// ids), and the journal is removed last, so a crash during recovery is resolved by the next run.
import * as l10n from '@vscode/l10n';
import type { RecoveredRestore, RecoveryReport } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { BerthError, errorMessage } from '../errors';
import { acquireLock, type HeldLock } from '../locks';
import type { Log } from '../log';
import { ownerAlive } from '../snapshots/liveness';
import type { SnapshotStore } from '../snapshots/store';
import { helpersOfJournal, startHelper, sweepHelpers, type Agent, type Helper } from './helper';
import { isForward, journalIds, readJournal, removeJournal, setAsideCorrupt, writeJournal, type RestoreJournal } from './journal';
import { finishInterruptedStop, startToPrior } from './runState';
import { captureSafetyCopy, workloadOfJournal } from './safety';
import { deferredSafetyNote } from './recoveryReport';
import { reachStep, type StepHooks } from './seams';
import { keptMessage, openAgent, removeAsides, removeStages, settleVolumes } from './settle';

export interface RecoveryDeps {
  readonly stateDir: string;
  engine(): Engine;
  readonly log: Log;
  readonly store: SnapshotStore;
  readonly env: NodeJS.ProcessEnv;
  readonly hooks?: StepHooks;
}

export interface RecoveryOptions {
  /** Only this workload's journals. */
  readonly onlyKey?: string;
  /** The caller already holds the workload lock of `onlyKey`. */
  readonly lockHeld?: boolean;
  /**
   * Settle volumes and restart workloads, but leave storing safety copies (which reads all the
   * old data) for a later run. The backend uses this before it serves requests.
   */
  readonly deferSafety?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

export async function recoverRestores(deps: RecoveryDeps, options: RecoveryOptions = {}): Promise<RecoveryReport> {
  const report: Mutable<RecoveryReport> = { restores: [], helpersRemoved: 0, corruptJournals: [], problems: [], didSomething: false };
  const ids = await journalIds(deps.stateDir);
  // At backend start (deferSafety) with nothing to recover, the engine is not asked at all:
  // initialize must not wait on an engine that does not answer. Orphaned helpers without a
  // journal are swept by `berth recover` and berth/recovery/run.
  if (ids.length === 0 && options.deferSafety) return report;
  let engine: Engine | undefined;
  try {
    engine = deps.engine();
    if (options.onlyKey === undefined) report.helpersRemoved = await sweepHelpers(engine, AbortSignal.timeout(30_000));
  } catch (error) {
    if (ids.length > 0 || !(error instanceof BerthError && error.codeName === 'EngineUnreachable')) {
      report.problems.push(l10n.t('Cannot reach the engine to recover restores: {0}', errorMessage(error)));
    }
    engine = undefined;
  }
  for (const id of ids) {
    const journal = await readJournal(deps.stateDir, id, (why) => deps.log.warn(why));
    if (!journal) {
      if (options.onlyKey === undefined) {
        report.corruptJournals.push(await setAsideCorrupt(deps.stateDir, id).catch(() => id));
        report.problems.push(l10n.t('The restore journal {0} is unreadable; it was set aside for inspection and nothing was done with it.', id));
      }
      continue;
    }
    if (options.onlyKey !== undefined && journal.workload.key !== options.onlyKey) continue;
    if (await ownerAlive(journal.owner)) continue;
    if (!engine) {
      report.restores.push(entry(journal, 'pending', [l10n.t('the engine is unreachable')]));
      continue;
    }
    let lock: HeldLock | undefined;
    if (!options.lockHeld) {
      try {
        lock = await acquireLock(deps.stateDir, 'workload', journal.workload.key, 'restore-recovery');
      } catch (error) {
        if (error instanceof BerthError && error.codeName === 'Busy') {
          report.restores.push(entry(journal, 'skipped-busy', []));
          continue;
        }
        throw error;
      }
    }
    try {
      // Re-read under the lock: another recoverer may have finished it meanwhile.
      const current = await readJournal(deps.stateDir, id);
      if (!current || (await ownerAlive(current.owner))) continue;
      report.restores.push(await recoverOne(deps, engine, current, options));
    } catch (error) {
      report.restores.push(entry(journal, 'pending', [errorMessage(error)]));
    } finally {
      await lock?.release();
    }
  }
  report.didSomething = report.helpersRemoved > 0 || report.corruptJournals.length > 0 || report.restores.some((r) => r.outcome === 'rolled-back' || r.outcome === 'completed' || r.restarted || r.volumes.length > 0);
  logReport(deps.log, report);
  return report;
}

function entry(journal: RestoreJournal, outcome: RecoveredRestore['outcome'], problems: string[]): RecoveredRestore {
  return { id: journal.id, workload: journal.workloadName, snapshot: journal.snapshotId, step: journal.step, outcome, volumes: [], restarted: false, conflicts: [], notes: [], problems };
}

async function recoverOne(deps: RecoveryDeps, engine: Engine, journal: RestoreJournal, options: RecoveryOptions): Promise<RecoveredRestore> {
  const forward = isForward(journal.phase);
  const result: Mutable<RecoveredRestore> = { ...entry(journal, 'pending', []), volumes: [], conflicts: [], notes: [], problems: [] };
  await reachStep('recover.helper', deps.hooks);
  // Stray processes of the dead restore (its helper) must be gone before anything is judged.
  await removeHelpersOf(engine, journal.id);
  let helper: Helper | undefined;
  let agent: Agent | undefined;
  try {
    const parents = [...new Map(journal.volumes.map((v) => [v.helperDir, { hostDir: v.hostParent, helperDir: v.helperDir }])).values()];
    helper = await startHelper(engine, journal.helperImage, 'setting', parents, journal.id, AbortSignal.timeout(120_000), deps.env);
    agent = await openAgent(engine, helper, journal);

    // Nothing is moved under a running container: if a volume must move and the container runs
    // (someone started it after the crash, or the crash came before the stop), it goes down first.
    let stoppedNow = false;
    if ((await needsMoving(agent, journal, forward)) && (await isRunning(engine, journal.containerId))) {
      await engine.stopContainer(journal.containerId, AbortSignal.timeout(120_000));
      stoppedNow = true;
      result.notes.push(l10n.t('{0} was running while its volumes were half swapped; it was stopped for the recovery.', journal.workloadName));
    }

    await reachStep('recover.settle', deps.hooks);
    const settled = await settleVolumes(agent, journal, forward ? 'new' : 'old');
    result.volumes.push(...journal.volumes.map((v, i) => ({ target: v.target, live: settled.live[i] ?? 'unknown' })));
    result.conflicts.push(...settled.conflicts);
    result.problems.push(...settled.problems);
    if (settled.problems.length > 0) return result;
    if (!forward) {
      journal.phase = 'rolling-back';
      await writeJournal(deps.stateDir, journal);
    }

    // The workload runs again if the restore had stopped it (and it ran before).
    await reachStep('recover.start', deps.hooks);
    const needsStart = stoppedNow || (forward ? journal.phase === 'committed' : journal.stopped === true);
    if (needsStart) {
      // Rolling back after the restore stopped (or was stopping) the workload: its stop may
      // still be in flight in the engine.
      if (!forward && !stoppedNow) await finishInterruptedStop(engine, journal.containerId);
      const outcome = await startToPrior(engine, journal.containerId, journal.prior);
      if (outcome === 'started') result.restarted = journal.prior !== 'stopped';
      if (outcome === 'removed') result.problems.push(l10n.t('The container of {0} no longer exists; nothing to start.', journal.workloadName));
      if (forward) {
        journal.phase = 'started';
        await writeJournal(deps.stateDir, journal);
      } else {
        journal.stopped = false;
        await writeJournal(deps.stateDir, journal);
      }
    }

    if (forward) {
      if (!journal.safetySnapshotId) {
        if (options.deferSafety) {
          result.outcome = 'pending';
          result.notes.push(deferredSafetyNote());
          return result;
        }
        await reachStep('recover.safety', deps.hooks);
        journal.phase = 'safety';
        await writeJournal(deps.stateDir, journal);
        journal.safetySnapshotId = await captureSafetyCopy(deps.store, engine, journal, workloadOfJournal(journal), { signal: new AbortController().signal, progress: { report: () => undefined } }, deps.env);
        await writeJournal(deps.stateDir, journal);
      }
      result.safetySnapshot = journal.safetySnapshotId;
      await reachStep('recover.cleanup', deps.hooks);
      journal.phase = 'cleanup';
      await writeJournal(deps.stateDir, journal);
      const safety = await deps.store.readManifest(journal.safetySnapshotId).catch(() => undefined);
      const asides = await removeAsides(agent, helper, journal, safety);
      if (asides.kept.length > 0) {
        result.keptAsides = asides.kept;
        result.notes.push(...asides.kept.map(keptMessage));
      }
      result.problems.push(...asides.problems, ...(await removeStages(agent, journal)));
    } else {
      await reachStep('recover.cleanup', deps.hooks);
      result.problems.push(...(await removeStages(agent, journal)));
    }
    if (result.problems.length > 0) return result;
    await agent.close();
    agent = undefined;
    await helper.remove();
    helper = undefined;
    await removeJournal(deps.stateDir, journal.id);
    result.outcome = forward ? 'completed' : 'rolled-back';
    return result;
  } finally {
    await agent?.close();
    await helper?.remove();
  }
}

/** Removes the dead restore's helpers (and so any command still running in them), and waits until they are gone. */
async function removeHelpersOf(engine: Engine, journalId: string): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const left = await helpersOfJournal(engine, journalId);
    if (left.length === 0) return;
    for (const id of left) await engine.removeContainer(id).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, attempt === 0 ? 0 : 500));
  }
  throw new Error(l10n.t('the helper containers of restore {0} could not be removed', journalId));
}

/** Whether settling would rename anything (asked by ids, without moving). */
async function needsMoving(agent: Agent, journal: RestoreJournal, forward: boolean): Promise<boolean> {
  for (const [i, v] of journal.volumes.entries()) {
    if ((await agent.ids(i)).live !== (forward ? v.newId : v.oldId)) return true;
  }
  return false;
}

async function isRunning(engine: Engine, containerId: string): Promise<boolean> {
  try {
    const details = await engine.inspectContainer(containerId, AbortSignal.timeout(60_000));
    return details.State.Running || details.State.Restarting === true;
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') return false;
    throw error;
  }
}

function logReport(log: Log, report: RecoveryReport): void {
  if (report.helpersRemoved > 0) log.info(l10n.t('Recovery removed {0} helper container(s) left by crashed operations.', report.helpersRemoved));
  for (const r of report.restores) {
    const volumes = r.volumes.map((v) => `${v.target}=${v.live}`).join(', ');
    const line = l10n.t('Recovery of the restore of {0} (snapshot {1}, stopped at {2}): {3}{4}{5}', r.workload, r.snapshot.slice(0, 12), r.step, r.outcome, volumes ? `; ${volumes}` : '', r.restarted ? l10n.t('; workload started again') : '');
    if (r.outcome === 'pending' || r.problems.length > 0) log.warn(`${line}${r.problems.length > 0 ? ` (${r.problems.join('; ')})` : ''}`);
    else log.info(line);
    if (r.conflicts.length > 0) log.warn(l10n.t('Data found in the way was kept at: {0}', r.conflicts.join(', ')));
    for (const n of r.notes) log.info(n);
  }
  for (const p of report.problems) log.warn(p);
}
