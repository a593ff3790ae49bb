// The recovery sweep's refusals and precautions, each against the real engine and the real CLI:
// a corrupt journal is set aside and never acted upon; an unreachable engine leaves a journal
// pending without guessing; a live owner's journal is left alone and a workload whose lock
// another process holds is reported skipped-busy; an ambiguous settle leaves the journal pending;
// and a container someone started on half-swapped volumes is stopped before anything moves.
// Each test ends with a normal recovery, which proves that what was left alone was still whole.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, after, describe, it } from 'node:test';
import { ExitCodes, type RecoveryReport, type RestoreStep } from '../../protocol/src';
import { journalIds, journalPath, readJournal } from '../../server/src/restore/journal';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, docker, TEST_LABEL, TEST_RUN } from '../fixtures/docker';
import { prepareTrials, type TrialWorld } from '../fixtures/restoreTrials';
import {
  assertRunning,
  createWorld,
  leftovers,
  letGo,
  restoreDirs,
  runCli,
  spawnCli,
  stoppedAtSeam,
  treeOf,
  whichTree,
  writeTree,
  type CliRun,
} from '../fixtures/restoreWorld';

const disposers: (() => Promise<void> | void)[] = [];

interface Crashed {
  readonly t: TrialWorld;
  readonly id: string;
  /** The journal's bytes as the crashed restore left them. */
  readonly journal: Buffer;
}

async function trialWorld(): Promise<TrialWorld> {
  const world = await createWorld();
  disposers.push(() => world.dispose());
  return prepareTrials(world);
}

/** A restore of snapshot A over live B, killed by SIGKILL at `step` (volume `skip` + 1). */
async function crashedAt(step: RestoreStep, skip = 0): Promise<Crashed> {
  const t = await trialWorld();
  const run = await runCli(['snapshots', 'restore', t.world.name, t.snapshotId, '--yes', '--json'], { ...t.world.env, ...crashAt(step, { skip }) });
  assert.equal(run.signal, 'SIGKILL', `the restore died at ${step} (${run.stdout}${run.stderr})`);
  const [id, ...more] = await journalIds(t.world.stateDir);
  assert.ok(id !== undefined && more.length === 0, 'the crash left one journal');
  return { t, id, journal: readFileSync(journalPath(t.world.stateDir, id)) };
}

async function recoverCli(t: TrialWorld, extra: readonly string[] = []): Promise<{ run: CliRun; report: RecoveryReport }> {
  const run = await runCli(['recover', '--json', ...extra], t.world.env);
  return { run, report: JSON.parse(run.stdout) as RecoveryReport };
}

/** A normal recovery finishes the restore; each volume ends on `expect`, nothing is left over, the workload runs. */
async function finishes(t: TrialWorld, expect: 'old' | 'new', outcome: 'rolled-back' | 'completed'): Promise<void> {
  const { run, report } = await recoverCli(t);
  assert.equal(run.code, ExitCodes.Ok, `${run.stdout}${run.stderr}`);
  assert.deepEqual(report.restores.map((r) => r.outcome), [outcome]);
  const trees = t.world.trees();
  assert.equal(whichTree(trees['/data'], t.treesB['/data'], t.treesA['/data'], '/data'), expect);
  assert.equal(whichTree(trees['/bind'], t.treesB['/bind'], t.treesA['/bind'], '/bind'), expect);
  assert.deepEqual(await leftovers(t.world), []);
  await assertRunning(t.world, 'after the recovery');
}

/** A process that takes the workload lock and holds it until killed (test/fixtures/lockChild.ts). */
async function holdLock(stateDir: string, key: string): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'lockChild.js')], {
    env: { ...process.env, BERTH_LOCK_CHILD: '1', STATE_DIR: stateDir, KEY: key, HOLD: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const said = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('close', () => resolve(out.trim()));
  });
  assert.equal(said, 'acquired', 'the other process holds the workload lock');
  return async () => {
    child.kill('SIGKILL');
    await closed;
  };
}

describe('restore recovery: what it must not touch, and what it must do first', () => {
  afterEach(async () => {
    for (const d of disposers.splice(0).reverse()) await d();
  });
  after(() => cleanupTestObjects());

  it('a corrupt journal is renamed <id>.corrupt, reported, and never acted upon (not even over an earlier one)', async () => {
    const { t, id, journal } = await crashedAt('restore.stop');
    const path = journalPath(t.world.stateDir, id);
    const aside = `${path.slice(0, -'.json'.length)}.corrupt`;
    const torn = journal.subarray(0, Math.floor(journal.length / 2));
    writeFileSync(path, torn);
    const before = restoreDirs(t.world);
    assert.ok(Object.keys(before).some((k) => k.endsWith('-stage')), 'the crash left the staged copies');

    const first = await recoverCli(t);
    assert.equal(first.run.code, ExitCodes.Failed, 'a set-aside journal is not a finished recovery');
    assert.deepEqual(first.report.corruptJournals, [aside]);
    assert.deepEqual(first.report.restores, [], 'nothing was recovered from it');
    assert.equal(existsSync(path), false, 'the journal is no longer where recovery looks');
    assert.deepEqual(readFileSync(aside), torn, 'its bytes are kept for a person to read');
    assert.deepEqual(restoreDirs(t.world), before, 'nothing beside the targets was moved or removed');
    assert.deepEqual(t.world.trees(), t.treesB);

    // A second unreadable journal under the same ID never replaces the first one set aside.
    writeFileSync(path, '{"schemaVersion": 1, "id": "not this one"}');
    const second = await recoverCli(t);
    assert.deepEqual(second.report.corruptJournals, [`${aside}-1`]);
    assert.deepEqual(readFileSync(aside), torn);
    assert.deepEqual(restoreDirs(t.world), before);

    // The intact journal, put back, is recovered as usual: everything it needs was still there.
    writeFileSync(path, journal);
    await finishes(t, 'old', 'rolled-back');
  });

  it('an unreachable engine leaves the journal pending and guesses nothing', async () => {
    const { t, id, journal } = await crashedAt('restore.swap-in');
    const before = restoreDirs(t.world);
    assert.ok(!('bind/bind' in before && 'volume/_data' in before), 'the crash left a volume without its live directory');
    const down = await recoverCli(t, ['--docker-host', `unix://${join(t.world.stateDir, 'no-engine.sock')}`]);
    assert.equal(down.run.code, ExitCodes.Failed, `${down.run.stdout}${down.run.stderr}`);
    assert.deepEqual(down.report.restores.map((r) => [r.id, r.outcome]), [[id, 'pending']]);
    assert.match(down.report.restores[0]?.problems.join(' ') ?? '', /unreachable/);
    assert.deepEqual(readFileSync(journalPath(t.world.stateDir, id)), journal, 'the journal is exactly as the crash left it');
    assert.deepEqual(restoreDirs(t.world), before, 'nothing beside the targets was moved or removed');
    assert.equal((await t.world.container()).State.Running, false, 'the workload was not started on half-swapped volumes');

    await finishes(t, 'old', 'rolled-back');
  });

  it('a live owner\'s journal is left alone: its restore finishes by itself afterwards', async () => {
    const t = await trialWorld();
    const restore = spawnCli(['snapshots', 'restore', t.world.name, t.snapshotId, '--yes', '--json'], { ...t.world.env, ...crashAt('restore.swap-in', { freeze: true }) });
    try {
      await stoppedAtSeam(restore, 'restore.swap-in');
      const [id] = await journalIds(t.world.stateDir);
      assert.ok(id);
      const journal = readFileSync(journalPath(t.world.stateDir, id));
      const before = restoreDirs(t.world);
      const { run, report } = await recoverCli(t);
      assert.equal(run.code, ExitCodes.Ok, `${run.stdout}${run.stderr}`);
      assert.deepEqual(report.restores, [], 'a running restore is not recovery\'s business');
      assert.deepEqual(readFileSync(journalPath(t.world.stateDir, id)), journal);
      assert.deepEqual(restoreDirs(t.world), before);
      const helpers = await docker().listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${TEST_RUN}`, `berth.helper.restore=${id}`] } });
      assert.equal(helpers.length, 1, 'the live restore keeps its helper');
    } finally {
      await letGo(restore);
    }
    const done = await restore.done;
    assert.equal(done.code, ExitCodes.Ok, `the restore goes on and finishes: ${done.stdout}${done.stderr}`);
    assert.deepEqual(t.world.trees(), t.treesA);
    assert.deepEqual(await leftovers(t.world), []);
    await assertRunning(t.world);
  });

  it('a dead owner\'s journal whose workload another process holds is reported skipped-busy and left as it is', async () => {
    const { t, id, journal } = await crashedAt('restore.swap-in');
    const key = (await readJournal(t.world.stateDir, id))?.workload.key ?? '';
    const before = restoreDirs(t.world);
    const release = await holdLock(t.world.stateDir, key);
    try {
      const { run, report } = await recoverCli(t);
      assert.equal(run.code, ExitCodes.Failed, 'a skipped restore is not a finished recovery');
      assert.deepEqual(report.restores.map((r) => [r.id, r.outcome]), [[id, 'skipped-busy']]);
      assert.deepEqual(readFileSync(journalPath(t.world.stateDir, id)), journal);
      assert.deepEqual(restoreDirs(t.world), before);
    } finally {
      await release();
    }
    await finishes(t, 'old', 'rolled-back');
  });

  it('an ambiguous settle (the live directory is neither old nor new) leaves the journal pending and starts nothing', async () => {
    const { t, id, journal } = await crashedAt('restore.start');
    assert.deepEqual(t.world.trees(), t.treesA, 'committed: the new data is live');
    // Someone replaced the live bind directory with one of their own: neither the old nor the
    // new data is live there, and which one the user wants is not recovery's guess to make.
    const moved = join(t.world.bindParent, 'moved-by-someone');
    renameSync(t.world.bindDir, moved);
    mkdirSync(t.world.bindDir);
    writeTree(t.world.bindDir, 'A', '/bind', 'foreign');
    const foreign = treeOf(t.world.bindDir);
    const before = restoreDirs(t.world);

    const { run, report } = await recoverCli(t);
    assert.equal(run.code, ExitCodes.Failed);
    const entry = report.restores.find((r) => r.id === id);
    assert.equal(entry?.outcome, 'pending', run.stdout);
    assert.match(entry?.problems.join(' ') ?? '', /\/bind .*settle-new unexpected/);
    assert.deepEqual(readFileSync(journalPath(t.world.stateDir, id)), journal, 'the journal stays as it was');
    assert.deepEqual(restoreDirs(t.world), before, 'the aside (old data), the foreign directory and the other volume are untouched');
    assert.deepEqual(treeOf(t.world.bindDir), foreign);
    assert.equal((await t.world.container()).State.Running, false, 'the workload is not started on data nobody chose');

    // Once a person puts the new data back, the next recovery completes the restore.
    renameSync(t.world.bindDir, join(t.world.bindParent, 'foreign-kept'));
    renameSync(moved, t.world.bindDir);
    await finishes(t, 'new', 'completed');
  });

  it('recovery stops a container someone started on half-swapped volumes before it moves anything', async () => {
    const { t, id } = await crashedAt('restore.swap-in');
    const swapped = (await readJournal(t.world.stateDir, id))?.volumes[0];
    assert.ok(swapped);
    // The restore died with volume 0 moved aside: its live directory is missing. Starting the
    // container (as a restart policy does after an engine restart) makes the engine create an
    // empty one for a bind mount.
    assert.equal(swapped.target, '/bind', 'volume 0 is the bind mount');
    assert.equal(existsSync(t.world.bindDir), false);
    await docker().getContainer((await t.world.container()).Id).start();
    await assertRunning(t.world, 'started by someone else');
    assert.deepEqual(readdirSync(t.world.bindDir), [], 'the engine created an empty live directory');

    const backend = t.world.backend();
    let atSettle: { running: boolean; live: string[] } | undefined;
    backend.restore.hooks = {
      beforeStep: async (step) => {
        if (step !== 'recover.settle' || atSettle) return;
        atSettle = { running: (await t.world.container()).State.Running, live: readdirSync(t.world.bindDir) };
      },
    };
    let report: RecoveryReport;
    try {
      report = await backend.restore.recover();
    } finally {
      backend.restore.hooks = undefined;
    }
    assert.deepEqual(atSettle, { running: false, live: [] }, 'when the first volume is about to move, the container is down and nothing has moved yet');
    const entry = report.restores.find((r) => r.id === id);
    assert.equal(entry?.outcome, 'rolled-back', JSON.stringify(report));
    assert.ok(entry?.notes.some((n) => /was running while its volumes were half swapped; it was stopped/.test(n)), JSON.stringify(entry?.notes));
    assert.deepEqual(t.world.trees(), t.treesB);
    assert.deepEqual(await leftovers(t.world), []);
    await assertRunning(t.world, 'started again after the recovery');
  });
});

