// The restore itself. Named steps (docs/restore.md says what each leaves on disk and how a crash
// there is resolved); the journal is written before each:
//   restore.lock → restore.verify → restore.helper → restore.journal → restore.stage (per volume)
//   → restore.verify-staged (per volume) → restore.stop → restore.aside / restore.swap-in (per
//   volume) → restore.commit (the point of no return) → restore.start → restore.safety
//   → restore.cleanup
// Everything up to restore.commit is undone on failure or cancel: each volume ends exactly old,
// the staged copies are removed and the workload runs again. After it, the restore only goes
// forward: the workload starts on the new data, the old data becomes the `pre-restore` snapshot,
// and only then is the moved-aside directory removed.
import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as l10n from '@vscode/l10n';
import type { RestoreSnapshotParams, RestoreSnapshotResult, RestoreStep, RestoreVolumePlan, Workload } from '../../../protocol/src';
import type { ContainerDetails, Engine } from '../engine/engine';
import { BerthError, CancelledError, ConflictError, errorMessage, OperationFailedError, RejectedError } from '../errors';
import { acquireLock } from '../locks';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import { formatBytes } from '../snapshots/format';
import { currentOwner } from '../snapshots/liveness';
import type { SnapshotStore } from '../snapshots/store';
import { loadSnapshot, streamSnapshotData, verifySnapshotData, type LoadedSnapshot } from './data';
import { parseStageId, startHelper, type Agent, type Helper } from './helper';
import { removeJournal, writeJournal, type RestoreJournal } from './journal';
import { planRestore, type RestorePlan } from './preflight';
import { helperDirOf, probeTargets, spaceNeeded, type ProbedVolume, type SpaceNeed } from './probe';
import { mountsUnchanged, priorOf, startToPrior, stillDown, stopForSwap } from './runState';
import { captureSafetyCopy } from './safety';
import { postRestoreFailure, restoreHooks } from './appHooks'; // issue 14
import type { OperationHooks } from '../hooks/operationHooks'; // issue 14
import { reachStep, type StepHooks } from './seams';
import type { KeptAside } from './asideGuard';
import { keptMessage, openAgent, removeAsides, removeStages, settleVolumes } from './settle';
import { verifyStagedTree } from './verifyStaged';

export interface RestoreDeps {
  readonly stateDir: string;
  readonly engine: Engine;
  readonly log: Log;
  readonly store: SnapshotStore;
  /** `berth.helperImage` or BERTH_HELPER_IMAGE; the workload's own image when unset. */
  readonly helperImage: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly hooks?: StepHooks;
  resolveWorkload(ref: string, signal: AbortSignal): Promise<Workload>;
  /** Finishes crashed restores and captures of this workload (the caller holds its lock). */
  recoverWorkload(key: string): Promise<void>;
  /** Resolves a snapshot reference to its full ID and the workload identity it belongs to. */
  resolveSnapshot(ref: string): Promise<{ id: string; workloadKey: string; label: string }>;
}

const PERCENT: Readonly<Record<RestoreStep, number>> = {
  'restore.lock': 0,
  'restore.verify': 1,
  'restore.helper': 25,
  'restore.journal': 27,
  'restore.stage': 28,
  'restore.verify-staged': 70,
  'restore.stop': 85,
  'restore.aside': 86,
  'restore.swap-in': 87,
  'restore.commit': 88,
  'restore.start': 89,
  'restore.safety': 90,
  'restore.cleanup': 99,
};

/** A journal owner that is never alive: recovery takes the journal over at its next run. */
export const NO_OWNER = { pid: 0, startTime: '', host: hostname() } as const;

interface Run {
  readonly deps: RestoreDeps;
  readonly ctx: OperationContext;
  readonly workload: Workload;
  readonly snapshot: LoadedSnapshot;
  journal?: RestoreJournal;
  helper?: Helper;
  agent?: Agent;
  plan?: RestorePlan;
  stopped: boolean;
  /** The commit entry is durable: from here on nothing is undone. */
  committed: boolean;
  downtimeStart?: number;
  /** issue 14: the workload's pre-/post-restore hooks. */
  readonly app?: OperationHooks;
}

export async function runRestore(deps: RestoreDeps, params: RestoreSnapshotParams, ctx: OperationContext): Promise<RestoreSnapshotResult> {
  const began = Date.now();
  const resolved = await deps.resolveSnapshot(params.snapshot);
  if (params.confirm !== resolved.id) {
    throw new RejectedError(
      l10n.t('Refused: "confirm" must repeat the full ID of the snapshot being restored ({0}). Nothing was changed.', resolved.id),
      { detail: 'confirm' },
    );
  }
  const workload = await deps.resolveWorkload(params.workload, ctx.signal);
  // Guard 3: one operation per workload; a second restore, an install or a capture gets BUSY.
  const lock = await acquireLock(deps.stateDir, 'workload', workload.identity.key, 'restore', { signal: ctx.signal });
  try {
    await step(undefined, 'restore.lock', deps, ctx, l10n.t('Restoring {0}: preparing', workload.name));
    await deps.recoverWorkload(workload.identity.key);
    const snapshot = await loadSnapshot(deps.store, resolved.id);
    // >>> issue 14 (application hooks): pre-restore runs before anything is touched; post-restore
    // right after the workload is up again (finishCommitted), or after the rollback restarted it,
    // and in any case exactly once (appHooks.ts, hooks/operationHooks.ts).
    const app = await restoreHooks(deps.engine, deps.log, workload, ctx);
    await app.pre(ctx.signal);
    const run: Run = { deps, ctx, workload, snapshot, stopped: false, committed: false, app };
    try {
      const result = await restoreLocked(run, resolved.workloadKey, began);
      await app.post();
      const failed = postRestoreFailure(app, workload, result.snapshot);
      if (failed) throw failed;
      return app.outcomes.length > 0 ? { ...result, hooks: app.outcomes, warnings: [...result.warnings, ...app.warnings] } : result;
    } finally {
      await app.post();
    }
    // <<< issue 14
  } finally {
    await lock.release();
  }
}

async function step(run: Run | undefined, name: RestoreStep, deps: RestoreDeps, ctx: OperationContext, message: string, volume?: number): Promise<void> {
  if (run?.journal) {
    run.journal.step = name;
    await writeJournal(deps.stateDir, run.journal);
  }
  ctx.progress.report(message, PERCENT[name]);
  deps.log.info(`${name}${volume === undefined ? '' : ` [volume ${volume}]`}: ${message}`);
  await reachStep(name, deps.hooks, volume);
}

function cancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

async function restoreLocked(run: Run, snapshotWorkloadKey: string, began: number): Promise<RestoreSnapshotResult> {
  const { deps, ctx, workload, snapshot } = run;
  const engine = deps.engine;
  const manifest = snapshot.manifest;
  const warnings: string[] = [];
  if (snapshotWorkloadKey !== workload.identity.key) {
    warnings.push(l10n.t('Snapshot {0} was taken of {1}, not of {2}.', manifest.id.slice(0, 12), snapshotWorkloadKey, workload.identity.key));
  }

  // Guard 1, from the current config.
  const details = await engine.inspectContainer(workload.id, ctx.signal);
  const plan = await planRestore(engine, details, manifest, ctx.signal);
  run.plan = plan;
  const volumesOut = plan.volumes.map((v): RestoreVolumePlan => ({ index: v.index, target: v.target, type: v.type, source: v.source, bytes: v.bytes, files: v.files, currentBytes: -1 }));

  // Guard 4: the whole archive checked before anything is written anywhere.
  await step(run, 'restore.verify', deps, ctx, l10n.t('Restoring {0}: verifying snapshot {1}', workload.name, manifest.id.slice(0, 12)));
  const total = Math.max(1, manifest.totals.bytes);
  await verifySnapshotData(snapshot, ctx.signal, throttle((bytes) => ctx.progress.report(l10n.t('Restoring {0}: verifying {1} of {2}', workload.name, formatBytes(bytes), formatBytes(total)), 1 + Math.round((bytes / total) * 23))));
  cancelled(ctx.signal);

  // The helper, guard 2 and the rename-ability checks.
  const image = await chooseHelperImage(engine, deps, details, ctx.signal);
  await step(run, 'restore.helper', deps, ctx, l10n.t('Restoring {0}: checking the targets on the engine host', workload.name));
  const id = randomBytes(8).toString('hex');
  try {
    if (image.note) deps.log.info(image.note);
    try {
      run.helper = await startHelper(engine, image.image, image.source, plan.parents, id, ctx.signal, deps.env);
    } catch (error) {
      if (image.note && error instanceof BerthError) error.message = `${image.note} ${error.message}`;
      throw error;
    }
    const needs = new Map<number, SpaceNeed>();
    for (const v of manifest.volumes) needs.set(v.index, spaceNeeded({ bytes: v.bytes, files: v.files, entries: v.entries.length }, v.entries.filter((e) => e.type === 'file').map((e) => e.size)));
    const probed = await probeTargets(run.helper, plan, needs, ctx.signal);
    for (const p of probed) {
      const out = volumesOut.find((v) => v.index === p.index);
      if (out) Object.assign(out, { currentBytes: p.currentBytes });
    }
    await checkLocalSpace(deps, probed);
    cancelled(ctx.signal);

    const prior = priorOf(details);
    run.journal = {
      schemaVersion: 1,
      id,
      owner: await currentOwner(),
      workload: workload.identity,
      workloadName: workload.name,
      containerId: details.Id,
      snapshotId: manifest.id,
      helperImage: image.image,
      prior,
      startedAt: new Date().toISOString(),
      phase: 'prepared',
      step: 'restore.journal',
      volumes: plan.volumes.map((v) => {
        const p = probed.find((x) => x.index === v.index) as ProbedVolume;
        const base = `.berth-restore-${id}-${v.index}`;
        return {
          index: v.index,
          target: v.target,
          type: v.type,
          source: v.source,
          readOnly: false,
          nested: [...v.nested],
          hostParent: v.hostParent,
          helperDir: helperDirOf(plan, v),
          liveName: v.liveName,
          stageName: `${base}-stage`,
          asideName: `${base}-aside`,
          conflictName: `${base}-conflict`,
          oldId: p.liveId,
          state: 'planned',
        };
      }),
      updatedAt: '',
    };
    await step(run, 'restore.journal', deps, ctx, l10n.t('Restoring {0}: staging', workload.name));
    return await swapLocked(run, volumesOut, warnings, began);
  } catch (error) {
    if (run.committed) {
      // Never undo after the point of no return: recovery finishes what is left.
      await handOver(run).catch(() => undefined);
      throw error;
    }
    await failBeforeCommit(run, error);
    if (error instanceof CancelledError || ctx.signal.aborted) {
      throw new CancelledError(l10n.t('The restore of {0} was cancelled before the point of no return; everything was rolled back.', workload.name));
    }
    throw error;
  }
}

async function swapLocked(run: Run, volumesOut: RestoreVolumePlan[], warnings: string[], began: number): Promise<RestoreSnapshotResult> {
  const { deps, ctx, workload, snapshot } = run;
  const engine = deps.engine;
  const journal = run.journal as RestoreJournal;
  const helper = run.helper as Helper;
  const manifest = snapshot.manifest;

  // Stage: a fresh directory beside each target, filled by the engine from our checked tar.
  journal.phase = 'staging';
  for (const v of journal.volumes) {
    v.state = 'staging';
    await step(run, 'restore.stage', deps, ctx, l10n.t('Restoring {0}: staging volume {1}', workload.name, v.target), v.index);
    const made = await helper.run(['mkstage', v.helperDir, v.stageName], { signal: ctx.signal, what: 'mkstage' });
    v.newId = parseStageId(made.stdout);
    await writeJournal(deps.stateDir, journal);
  }
  const total = Math.max(1, manifest.totals.bytes);
  const byIndex = new Map(journal.volumes.map((v) => [v.index, v]));
  await streamSnapshotData(
    snapshot,
    (index) => {
      const v = byIndex.get(index);
      return v ? `${v.helperDir.replace(/^\/+/, '')}/${v.stageName}` : '';
    },
    async (volume, tar) => {
      if (!byIndex.has(volume.index)) throw new Error(`no plan for volume ${volume.index}`);
      // Extracted at the helper's root: stagingTar.ts says why (the archive names the stage by
      // its full path, so nothing lands anywhere else).
      await engine.putArchive(helper.id, '/', tar, ctx.signal);
    },
    ctx.signal,
    throttle((bytes) => ctx.progress.report(l10n.t('Restoring {0}: staging {1} of {2}', workload.name, formatBytes(bytes), formatBytes(total)), 28 + Math.round((bytes / total) * 40))),
  );
  for (const v of journal.volumes) v.state = 'staged';
  cancelled(ctx.signal);

  // Guard 5: the staged trees read back and compared before anything is swapped.
  for (const v of journal.volumes) {
    const volume = manifest.volumes.find((m) => m.index === v.index);
    if (!volume) throw new Error(`volume ${v.index} is not in the manifest`);
    await step(run, 'restore.verify-staged', deps, ctx, l10n.t('Restoring {0}: verifying the staged copy of {1}', workload.name, v.target), v.index);
    await verifyStagedTree(helper, v.helperDir, v.stageName, volume, ctx.signal);
  }
  journal.phase = 'staged';
  cancelled(ctx.signal);

  // The agent starts before the stop, so its start-up is not downtime.
  run.agent = await openAgent(engine, helper, journal);
  for (const [i, v] of journal.volumes.entries()) {
    const ids = await run.agent.ids(i);
    if (ids.live !== v.oldId || ids.stage !== v.newId) {
      throw new ConflictError(l10n.t('{0} changed on the engine host while the restore was staging ({1}); nothing was swapped.', v.target, `live=${ids.live} stage=${ids.stage}`));
    }
  }

  // Guard 8: quiesce, swap, redeploy. Stop: from here the workload is down until restore.start
  // (or the rollback's start).
  const before = await inspectOrGone(engine, journal.containerId, workload.name);
  const changed = mountsUnchanged(before, journal.volumes);
  if (changed.length > 0) throw new ConflictError(l10n.t('{0} was re-configured during the restore ({1}); nothing was swapped.', workload.name, changed.join(', ')));
  journal.prior = priorOf(before);
  journal.phase = 'stopping';
  journal.stopped = true;
  await step(run, 'restore.stop', deps, ctx, l10n.t('Restoring {0}: stopping it', workload.name));
  run.downtimeStart = Date.now();
  run.stopped = true;
  const stopped = journal.prior === 'stopped' ? before : await stopForSwap(engine, journal.containerId, journal.prior, ctx.signal);
  journal.stoppedStartedAt = stopped.State.StartedAt ?? '';
  const afterStop = mountsUnchanged(stopped, journal.volumes);
  if (afterStop.length > 0) throw new ConflictError(l10n.t('{0} was re-configured during the restore ({1}); nothing was swapped.', workload.name, afterStop.join(', ')));
  cancelled(ctx.signal);

  // Swap: two renames per volume, each with its journal entry before it.
  journal.phase = 'swapping';
  for (const [i, v] of journal.volumes.entries()) {
    v.state = 'moving-aside';
    await step(run, 'restore.aside', deps, ctx, l10n.t('Restoring {0}: moving the current {1} aside', workload.name, v.target), v.index);
    cancelled(ctx.signal);
    const aside = await run.agent.send('aside', i);
    if (aside !== 'ok aside') throw new OperationFailedError(l10n.t('Could not move {0} aside on the engine host ({1}).', v.target, aside), { step: 'restore.aside' });
    v.state = 'moving-in';
    await step(run, 'restore.swap-in', deps, ctx, l10n.t('Restoring {0}: moving the restored {1} in', workload.name, v.target), v.index);
    cancelled(ctx.signal);
    const swapped = await run.agent.send('swapin', i);
    if (swapped !== 'ok swapin') throw new OperationFailedError(l10n.t('Could not move the restored {0} into place on the engine host ({1}).', v.target, swapped), { step: 'restore.swap-in' });
    v.state = 'swapped';
  }
  const down = await stillDown(engine, journal.containerId, journal.stoppedStartedAt);
  if (down === 'started') throw new ConflictError(l10n.t('Something started {0} while its volumes were being swapped; the restore is rolled back.', workload.name));
  if (down === 'removed') throw new ConflictError(l10n.t('The container of {0} was removed while its volumes were being swapped; the restore is rolled back.', workload.name));
  cancelled(ctx.signal);

  // The point of no return: once this entry is durable, the new data stays.
  journal.phase = 'committed';
  journal.step = 'restore.commit';
  await writeJournal(deps.stateDir, journal);
  run.committed = true;
  await step(run, 'restore.commit', deps, ctx, l10n.t('Restoring {0}: committed', workload.name));
  return finishCommitted(run, volumesOut, warnings, began);
}

/** After the point of no return: cancel is refused, failures are reported, nothing is undone. */
async function finishCommitted(run: Run, volumesOut: RestoreVolumePlan[], warnings: string[], began: number): Promise<RestoreSnapshotResult> {
  const { deps, ctx, workload } = run;
  const engine = deps.engine;
  const journal = run.journal as RestoreJournal;
  let cancelRefused: string | undefined;
  const refuse = () => {
    cancelRefused = l10n.t('Cancel was refused: the volumes of {0} have already been swapped (the point of no return), so stopping now would leave the workload down. The restore finishes instead.', workload.name);
    ctx.progress.report(cancelRefused);
    deps.log.warn(cancelRefused);
  };
  if (ctx.signal.aborted) refuse();
  else ctx.signal.addEventListener('abort', refuse, { once: true });
  const noCancel: OperationContext = { signal: new AbortController().signal, progress: ctx.progress };
  try {
    await step(run, 'restore.start', deps, noCancel, l10n.t('Restoring {0}: starting it', workload.name));
    let finalState = 'exited';
    try {
      const started = await startToPrior(engine, journal.containerId, journal.prior);
      if (started === 'removed') {
        finalState = 'removed';
        warnings.push(l10n.t('The container of {0} was removed during the restore; the restored data is in its volumes.', workload.name));
      }
    } catch (error) {
      warnings.push(l10n.t('{0} could not be started again: {1}', workload.name, errorMessage(error)));
    }
    const downtimeMs = run.downtimeStart === undefined ? 0 : Date.now() - run.downtimeStart;
    await run.app?.post(); // issue 14: post-restore once the workload is up on the new data
    journal.phase = 'started';

    journal.phase = 'safety';
    await step(run, 'restore.safety', deps, noCancel, l10n.t('Restoring {0}: storing the safety copy', workload.name));
    let safetyPending: string | undefined;
    const keptAsides: KeptAside[] = [];
    try {
      journal.safetySnapshotId = await captureSafetyCopy(deps.store, engine, journal, workload, {
        signal: noCancel.signal,
        progress: { report: (m, pct) => ctx.progress.report(m, pct === undefined ? undefined : 90 + Math.round(pct * 0.09)) },
      }, deps.env);
      await writeJournal(deps.stateDir, journal);
    } catch (error) {
      safetyPending = errorMessage(error);
    }

    if (safetyPending === undefined) {
      journal.phase = 'cleanup';
      await step(run, 'restore.cleanup', deps, noCancel, l10n.t('Restoring {0}: removing the moved-aside data', workload.name));
      const safety = await deps.store.readManifest(journal.safetySnapshotId as string).catch(() => undefined);
      const asides = await removeAsides(run.agent as Agent, run.helper as Helper, journal, safety);
      for (const k of asides.kept) {
        keptAsides.push(k);
        warnings.push(keptMessage(k));
        deps.log.warn(keptMessage(k));
      }
      const problems = [...asides.problems, ...(await removeStages(run.agent as Agent, journal))];
      if (problems.length > 0) {
        warnings.push(...problems);
        await handOver(run);
      } else {
        await closeHelper(run);
        await removeJournal(deps.stateDir, journal.id);
      }
    } else {
      deps.log.warn(l10n.t('The safety copy of {0} is not stored yet ({1}); the old data stays on the engine host until recovery stores it.', workload.name, safetyPending));
      await handOver(run);
    }
    if (finalState !== 'removed') finalState = await stateOf(engine, journal.containerId);
    return {
      workload: { id: journal.containerId, name: workload.name, identity: workload.identity },
      snapshot: journal.snapshotId,
      volumes: volumesOut,
      ...(journal.safetySnapshotId ? { safetySnapshot: journal.safetySnapshotId } : {}),
      ...(safetyPending !== undefined
        ? { safetyPending, safetyCopies: journal.volumes.map((v) => `${v.hostParent}/${v.asideName}`) }
        : {}),
      ...(keptAsides.length > 0 ? { keptAsides } : {}),
      priorState: journal.prior,
      finalState,
      downtimeMs,
      durationMs: Date.now() - began,
      ...(cancelRefused ? { cancelRefused } : {}),
      warnings,
    };
  } finally {
    ctx.signal.removeEventListener('abort', refuse);
  }
}

/**
 * Leaves the journal to the recovery sweep (its owner is then "nobody"), and the helper goes.
 * Never throws: it runs when something has already gone wrong, typically a full state folder,
 * where the journal cannot be rewritten either. The journal on disk then keeps this process as
 * its owner and its last durable step, which recovery takes over once this process has ended.
 * The helper is closed in any case: its agent's open exec would otherwise keep the process
 * alive for ever (a CLI that never exits).
 */
async function handOver(run: Run): Promise<void> {
  const journal = run.journal as RestoreJournal;
  try {
    journal.owner = { ...NO_OWNER };
    await writeJournal(run.deps.stateDir, journal);
  } catch (error) {
    run.deps.log.warn(
      l10n.t('The restore of {0} could not be handed over to recovery ({1}); "berth recover" or the next start of Berth finishes it once this process has ended.', run.workload.name, errorMessage(error)),
    );
  } finally {
    await closeHelper(run).catch((error: unknown) => run.deps.log.warn(l10n.t('The helper container of the restore of {0} could not be removed: {1}', run.workload.name, errorMessage(error))));
  }
}

async function closeHelper(run: Run): Promise<void> {
  await run.agent?.close();
  run.agent = undefined;
  await run.helper?.remove();
  run.helper = undefined;
}

/**
 * Undoes everything before the point of no return. Each volume is settled to its old data by
 * ids found on disk, the staged copies are removed, and the workload runs again if it ran. What
 * cannot be undone now (a read-only filesystem, a lost helper) is handed to the recovery sweep.
 */
async function failBeforeCommit(run: Run, cause: unknown): Promise<void> {
  const { deps, workload } = run;
  const journal = run.journal;
  if (!journal) {
    await closeHelper(run);
    return;
  }
  deps.log.warn(l10n.t('Restore of {0} failed at {1} ({2}); rolling back.', workload.name, journal.step, errorMessage(cause)));
  run.ctx.progress.report(l10n.t('Restoring {0}: rolling back', workload.name));
  const problems: string[] = [];
  try {
    journal.phase = 'rolling-back';
    await writeJournal(deps.stateDir, journal);
    if (run.stopped && (await stillDown(deps.engine, journal.containerId, journal.stoppedStartedAt)) === 'started') {
      // Someone started it on half-swapped directories: down again before anything moves back.
      await deps.engine.stopContainer(journal.containerId, AbortSignal.timeout(120_000));
    }
    if (!run.helper) throw new OperationFailedError(l10n.t('no helper container'));
    run.agent ??= await openAgent(deps.engine, run.helper, journal);
    const settled = await settleVolumes(run.agent, journal, 'old');
    problems.push(...settled.problems);
    if (settled.conflicts.length > 0) deps.log.warn(l10n.t('Kept data found in the way at: {0}', settled.conflicts.join(', ')));
    problems.push(...(await removeStages(run.agent, journal)));
    if (run.stopped && settled.problems.length === 0) {
      const outcome = await startToPrior(deps.engine, journal.containerId, journal.prior);
      if (outcome === 'removed') deps.log.warn(l10n.t('The container of {0} is gone; nothing to start.', workload.name));
      journal.stopped = false;
    }
  } catch (error) {
    problems.push(errorMessage(error));
  }
  if (problems.length === 0) {
    await closeHelper(run);
    await removeJournal(deps.stateDir, journal.id);
    return;
  }
  deps.log.error(l10n.t('The rollback of the restore of {0} is not complete ({1}); "berth recover" or the next start of Berth finishes it.', workload.name, problems.join('; ')));
  await handOver(run).catch(() => undefined);
  if (cause instanceof BerthError) cause.message = `${cause.message} ${l10n.t('The rollback could not finish ({0}); it will be finished by "berth recover" or the next start of Berth.', problems.join('; '))}`;
}

async function inspectOrGone(engine: Engine, containerId: string, name: string): Promise<ContainerDetails> {
  try {
    return await engine.inspectContainer(containerId, AbortSignal.timeout(60_000));
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') {
      throw new ConflictError(l10n.t('The container of {0} was removed or re-created during the restore; nothing was swapped. Run the restore again.', name));
    }
    throw error;
  }
}

async function stateOf(engine: Engine, containerId: string): Promise<string> {
  try {
    return (await engine.inspectContainer(containerId, AbortSignal.timeout(60_000))).State.Status;
  } catch {
    return 'removed';
  }
}

/**
 * The helper's image: `berth.helperImage` (or BERTH_HELPER_IMAGE) when that image is present on
 * the engine (Berth never pulls), else the workload's own image, which must then have /bin/sh
 * (startHelper says so clearly when it has not).
 */
async function chooseHelperImage(engine: Engine, deps: RestoreDeps, details: ContainerDetails, signal: AbortSignal): Promise<{ image: string; source: 'setting' | 'workload'; note?: string }> {
  const configured = deps.helperImage?.trim();
  const own = details.Image ?? details.Config.Image;
  if (configured) {
    if (await engine.hasImage(configured, signal)) return { image: configured, source: 'setting' };
    return { image: own, source: 'workload', note: l10n.t('The helper image {0} (berth.helperImage) is not present on the engine, so the workload\'s own image is used.', configured) };
  }
  return { image: own, source: 'workload' };
}

/** The safety copy is stored locally: refuse up front when the state directory cannot hold it. */
async function checkLocalSpace(deps: RestoreDeps, probed: readonly ProbedVolume[]): Promise<void> {
  await deps.store.ensure();
  const info = await statfs(deps.store.layout.root);
  const available = Number(info.bavail) * Number(info.bsize);
  const old = probed.reduce((n, p) => n + p.currentBytes, 0);
  const needed = Math.ceil(old * 1.05) + 16 * 1024 * 1024;
  if (available < needed) {
    throw new RejectedError(
      l10n.t('Not enough free space in the state directory {0} for the safety copy of the current data: it may need {1}, and {2} is free. Nothing was changed.', deps.stateDir, formatBytes(needed), formatBytes(available)),
      { detail: 'space' },
    );
  }
}

function throttle(report: (bytes: number) => void): (bytes: number) => void {
  let last = 0;
  return (bytes) => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    report(bytes);
  };
}
