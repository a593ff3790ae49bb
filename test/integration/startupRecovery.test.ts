// Recovery at backend start, before the first request is served (Backend.recoverAtStartup, run
// by server.ts before it answers `initialize`; a client sends no request before that answer).
// The real CLI crashes at a named step on the real engine, then the real server starts: every
// check below runs right after `initialize` is answered, before any other request, with no
// waiting. What takes long (storing the safety copy) follows once the server serves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InitializedNotification, InitializeRequest } from 'vscode-languageserver/node';
import { RecoveryDidRunNotification, StartupRecoveryRequest, type RecoveryReport } from '../../protocol/src';
import { journalIds } from '../../server/src/restore/journal';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects } from '../fixtures/docker';
import { assertSafetyCopy, prepareTrials, type TrialWorld } from '../fixtures/restoreTrials';
import { createWorld, fill, leftovers, runCli, whichTree, type World } from '../fixtures/restoreWorld';
import { startRpcPair, type RpcPair } from '../unit/harness/rpcPair';

describe('recovery at backend start, before the first request is served', () => {
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

  /** Sends `initialize` alone and waits for its answer; the server serves nothing before it. */
  const initialize = (pair: RpcPair) => pair.client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
  const live = () => {
    const trees = world.trees();
    return [whichTree(trees['/data'], t.treesB['/data'], t.treesA['/data'], '/data'), whichTree(trees['/bind'], t.treesB['/bind'], t.treesA['/bind'], '/bind')];
  };
  const crashRestore = async (env: NodeJS.ProcessEnv) => {
    fill(world, 'B');
    for (const s of await world.backend().snapshots.list(world.name)) {
      if (s.label === 'pre-restore') await world.backend().snapshots.remove({ id: s.recordId });
    }
    const run = await runCli(['snapshots', 'restore', world.name, t.snapshotId, '--yes', '--json'], { ...world.env, ...env });
    assert.equal(run.signal, 'SIGKILL', `the restore died at its step (${run.stderr})`);
    assert.equal((await journalIds(world.stateDir)).length, 1, 'it left its journal');
  };

  it('a restore killed between the swaps of its two volumes is rolled back: both volumes old, the workload running', async () => {
    await crashRestore(crashAt('restore.swap-in', { skip: 1 }));
    const pair = startRpcPair({ env: world.env });
    try {
      await initialize(pair);
      assert.deepEqual(live(), ['old', 'old']);
      assert.equal((await world.container()).State.Running, true, 'the workload runs');
      assert.deepEqual(await leftovers(world), [], 'no journal, helper or staged copy is left');
      const { report } = await pair.client.sendRequest(StartupRecoveryRequest.type, undefined);
      assert.deepEqual(report?.restores.map((r) => [r.step, r.outcome]), [['restore.swap-in', 'rolled-back']]);
    } finally {
      pair.dispose();
    }
  });

  it('a restore killed after its commit has the new data live and the workload running; its safety copy follows once the server serves', async () => {
    await crashRestore(crashAt('restore.start'));
    assert.equal((await world.container()).State.Running, false, 'the restore had stopped the workload');
    const pair = startRpcPair({ env: world.env });
    try {
      await initialize(pair);
      assert.deepEqual(live(), ['new', 'new']);
      assert.equal((await world.container()).State.Running, true, 'the workload runs again');
      const { report } = await pair.client.sendRequest(StartupRecoveryRequest.type, undefined);
      assert.deepEqual(report?.restores.map((r) => [r.step, r.outcome, r.restarted]), [['restore.start', 'pending', true]], 'the safety copy waits');

      await pair.client.sendNotification(InitializedNotification.type, {});
      const ran = (await pair.waitForNotification(RecoveryDidRunNotification.method, () => true, 300_000)).params as RecoveryReport;
      assert.deepEqual(ran.restores.map((r) => [r.outcome, r.restarted]), [['completed', true]]);
      assert.ok(ran.restores[0]?.safetySnapshot, 'the safety copy is stored');
      await assertSafetyCopy(t, 'after the background half');
      assert.deepEqual(await leftovers(world), []);
    } finally {
      pair.dispose();
    }
  });

  it('a capture killed while it held the workload paused: the workload runs on', async () => {
    fill(world, 'B');
    const run = await runCli(['snapshots', 'create', world.name, '--quiesce', 'pause'], { ...world.env, ...crashAt('capture.read-volume') });
    assert.equal(run.signal, 'SIGKILL', run.stderr);
    assert.equal((await world.container()).State.Paused, true, 'the crash left it paused');
    const pair = startRpcPair({ env: world.env });
    try {
      await initialize(pair);
      const state = (await world.container()).State;
      assert.deepEqual([state.Running, state.Paused], [true, false]);
    } finally {
      pair.dispose();
    }
  });
});
