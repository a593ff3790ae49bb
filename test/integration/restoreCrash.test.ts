// Crash at every named step of a restore (the real CLI SIGKILLs itself there via
// BERTH_CRASH_AT), then `berth recover`: each volume ends exactly old or exactly new, nothing is
// left over, the workload runs, and the old data is kept whenever it is not live. Then crashes
// inside the recovery itself, at each of its named steps, before a final recovery.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RECOVERY_STEPS, RESTORE_STEPS, type CaptureStep, type RestoreStep, type Step } from '../../protocol/src';
import { cleanupTestObjects } from '../fixtures/docker';
import { createWorld, type World } from '../fixtures/restoreWorld';
import { prepareTrials, runTrial, type TrialWorld } from '../fixtures/restoreTrials';

/** Steps that run once per volume are crashed at both volumes (BERTH_CRASH_SKIP). */
const PER_VOLUME: ReadonlySet<RestoreStep> = new Set(['restore.stage', 'restore.verify-staged', 'restore.aside', 'restore.swap-in']);
/** The capture steps that the safety copy goes through inside the restore. */
const SAFETY_CAPTURE_STEPS: readonly CaptureStep[] = ['capture.read-volume', 'capture.write-manifest', 'capture.commit', 'capture.catalog'];
const COMMIT = RESTORE_STEPS.indexOf('restore.commit');

describe('restore: crash at every named step, then recovery', () => {
  let world: World;
  let t: TrialWorld;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
    t = await prepareTrials(world);
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  const trials: { step: Step; skip: number; expect: 'old' | 'new' }[] = [];
  for (const [i, step] of RESTORE_STEPS.entries()) {
    for (const skip of PER_VOLUME.has(step) ? [0, 1] : [0]) trials.push({ step, skip, expect: i < COMMIT ? 'old' : 'new' });
    if (step === 'restore.safety') for (const s of SAFETY_CAPTURE_STEPS) trials.push({ step: s, skip: 0, expect: 'new' });
  }

  for (const trial of trials) {
    it(`crash at ${trial.step}${trial.skip ? ` (volume ${trial.skip + 1})` : ''} → ${trial.expect} data live`, async () => {
      const outcome = await runTrial(t, trial.step, { crashAt: trial.step, skip: trial.skip });
      assert.equal(outcome.live, trial.expect);
    });
  }

  for (const [at, expect] of [
    ['restore.swap-in', 'old'],
    ['restore.start', 'new'],
  ] as const) {
    it(`recovery of a crash at ${at} survives a crash at each of its own steps`, async () => {
      const faults: { crashAt: Step }[] = [...RECOVERY_STEPS.map((s) => ({ crashAt: s })), { crashAt: 'capture.write-manifest' }];
      const outcome = await runTrial(t, `${at} + recovery crashes`, { crashAt: at, skip: 0 }, faults);
      assert.equal(outcome.live, expect);
      const killed = outcome.recoveries.filter((r) => r.signal === 'SIGKILL').length;
      assert.ok(killed >= 2, `recoveries were killed at their steps (${killed})`);
    });
  }
});
