// SIGKILL the real CLI at random moments of a restore (at least 20 trials spread over its whole
// run), and kill recoveries at random moments too; after a final recovery each volume is exactly
// old or exactly new, nothing is left over and the workload runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanupTestObjects } from '../fixtures/docker';
import { createWorld, fill, runCli, type World } from '../fixtures/restoreWorld';
import { prepareTrials, runTrial, type TrialWorld } from '../fixtures/restoreTrials';

const TRIALS = Number(process.env.BERTH_KILL_TRIALS ?? '24');

/** A deterministic spread: every trial kills at a different fraction of a full restore's duration. */
function delays(count: number, span: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const jitter = Math.random() * (span / count);
    out.push(Math.round((i * span) / count + jitter));
  }
  return out;
}

describe('restore: killed at random moments, then recovery', () => {
  let world: World;
  let t: TrialWorld;
  let span = 0;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
    t = await prepareTrials(world);
    // One uninterrupted restore measures how long the whole run takes here, now.
    const started = Date.now();
    const run = await runCli(['snapshots', 'restore', world.name, t.snapshotId, '--yes', '--json'], world.env);
    assert.equal(run.code, 0, run.stderr);
    span = Date.now() - started;
    fill(world, 'B');
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it(`${TRIALS} restores killed at random moments all end exactly old or exactly new`, async () => {
    const outcomes = { old: 0, new: 0 };
    // A quarter past the measured span, because runs vary and the commit comes late (after the
    // stop): without it, every kill can land before the point of no return.
    for (const [i, delay] of delays(TRIALS, Math.round(span * 1.25)).entries()) {
      const outcome = await runTrial(t, `kill #${i} after ${delay} ms`, { killAfterMs: delay });
      outcomes[outcome.live]++;
    }
    // Kills spread over the whole run land on both sides of the point of no return.
    assert.ok(outcomes.old > 0 && outcomes.new > 0, `both outcomes occur (${JSON.stringify(outcomes)})`);
  });

  it('recoveries killed at random moments are finished by the next recovery', async () => {
    const starts = [['restore.swap-in', 1], ['restore.start', 0], ['restore.aside', 0], ['restore.safety', 0]] as const;
    for (const [i, [at, skip]] of starts.entries()) {
      const kills = delays(3, 2500).map((ms) => ({ killAfterMs: ms }));
      await runTrial(t, `recovery kills #${i} (${at})`, { crashAt: at, skip }, kills);
    }
  });
});
