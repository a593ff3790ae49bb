// Restore against the real engine: the round trip, the confirmation rules, the surfaces (CLI,
// exit codes, --json) and guard 1's refusals. Crash, fault, hostile-snapshot and concurrency
// tests live in the other restore*.test.ts files.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ExitCodes, type RecoveryReport, type RestoreSnapshotResult } from '../../protocol/src';
import { detachedContext } from '../../server/src/operation';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, docker } from '../fixtures/docker';
import { assertRunning, createWorld, fill, leftovers, runCli, treeOfManifest, type World } from '../fixtures/restoreWorld';

const ctx = () => detachedContext();

describe('restore: round trip on a named volume and a bind mount', () => {
  let world: World;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('replaces both volumes with the snapshot, keeps the old data as a pre-restore snapshot, and runs the workload again', async () => {
    const backend = world.backend();
    fill(world, 'A');
    const treesA = world.trees();
    const { snapshot } = await backend.snapshots.create({ workload: world.name, label: 'A' }, ctx());
    fill(world, 'B');
    const treesB = world.trees();
    const startedBefore = (await world.container()).State.StartedAt;

    const result = await backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm: snapshot.id }, ctx());

    assert.deepEqual(world.trees(), treesA, 'the live trees equal the trees that were captured');
    const manifest = await backend.snapshots.store().readManifest(snapshot.id);
    for (const v of manifest.volumes) {
      assert.deepEqual(world.trees()[v.target as '/data' | '/bind'], treeOfManifest(v.entries), `${v.target} equals the snapshot's manifest`);
    }
    assert.ok(result.safetySnapshot, 'a safety snapshot is reported');
    const safety = await backend.snapshots.store().readManifest(result.safetySnapshot);
    for (const v of safety.volumes) {
      assert.deepEqual(treeOfManifest(v.entries), treesB[v.target as '/data' | '/bind'], `the pre-restore snapshot holds the old ${v.target}`);
      assert.equal(v.type, v.target === '/data' ? 'volume' : 'bind');
    }
    const listed = await backend.snapshots.list(world.name);
    const safetyInfo = listed.find((s) => s.id === result.safetySnapshot);
    assert.equal(safetyInfo?.label, 'pre-restore', 'the safety copy shows in the catalog labelled pre-restore');
    assert.equal(result.priorState, 'running');
    assert.equal(result.finalState, 'running');
    await assertRunning(world);
    assert.notEqual((await world.container()).State.StartedAt, startedBefore, 'the workload was restarted');
    assert.deepEqual(await leftovers(world), []);
  });

  it('restores a stopped workload and leaves it stopped', async () => {
    const backend = world.backend();
    fill(world, 'A', 'stopped');
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    fill(world, 'B', 'stopped');
    await backend.workloads.stop(world.name, ctx());
    const result = await backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm: snapshot.id }, ctx());
    assert.equal(result.priorState, 'stopped');
    assert.equal((await world.container()).State.Running, false);
    const manifest = await backend.snapshots.store().readManifest(snapshot.id);
    for (const v of manifest.volumes) assert.deepEqual(world.trees()[v.target as '/data' | '/bind'], treeOfManifest(v.entries));
    assert.deepEqual(await leftovers(world), []);
    await backend.workloads.start(world.name, ctx());
  });

  it('restores a paused workload: it is stopped, started on the new data, and paused again', async () => {
    const backend = world.backend();
    fill(world, 'A', 'paused');
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    fill(world, 'B', 'paused');
    const container = docker().getContainer((await world.container()).Id);
    await container.pause();
    const startedBefore = (await world.container()).State.StartedAt;
    try {
      const result = await backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm: snapshot.id }, ctx());
      assert.equal(result.priorState, 'paused');
      assert.equal(result.finalState, 'paused');
      const state = (await world.container()).State;
      assert.deepEqual({ running: state.Running, paused: state.Paused }, { running: true, paused: true }, 'paused again');
      assert.notEqual(state.StartedAt, startedBefore, 'it was started again on the new data before the pause');
      const manifest = await backend.snapshots.store().readManifest(snapshot.id);
      for (const v of manifest.volumes) assert.deepEqual(world.trees()[v.target as '/data' | '/bind'], treeOfManifest(v.entries));
      assert.deepEqual(await leftovers(world), []);
    } finally {
      if ((await world.container()).State.Paused) await container.unpause();
    }
  });

  it('a paused workload whose restore crashed after the commit is paused again by the recovery', async () => {
    const backend = world.backend();
    fill(world, 'A', 'paused-crash');
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    fill(world, 'B', 'paused-crash');
    const container = docker().getContainer((await world.container()).Id);
    await container.pause();
    try {
      const crashed = await runCli(['snapshots', 'restore', world.name, snapshot.id, '--yes', '--json'], { ...world.env, ...crashAt('restore.start') });
      assert.equal(crashed.signal, 'SIGKILL', crashed.stdout + crashed.stderr);
      assert.equal((await world.container()).State.Running, false, 'the crash left it stopped');
      const recovered = await runCli(['recover', '--json'], world.env);
      assert.equal(recovered.code, ExitCodes.Ok, recovered.stdout + recovered.stderr);
      assert.deepEqual((JSON.parse(recovered.stdout) as RecoveryReport).restores.map((r) => r.outcome), ['completed']);
      const state = (await world.container()).State;
      assert.deepEqual({ running: state.Running, paused: state.Paused }, { running: true, paused: true }, 'paused again');
      const manifest = await backend.snapshots.store().readManifest(snapshot.id);
      for (const v of manifest.volumes) assert.deepEqual(world.trees()[v.target as '/data' | '/bind'], treeOfManifest(v.entries));
      assert.deepEqual(await leftovers(world), []);
    } finally {
      if ((await world.container()).State.Paused) await container.unpause();
    }
  });

  it('refuses a confirm that is not the full snapshot ID, before touching anything', async () => {
    const backend = world.backend();
    fill(world, 'A', 'confirm');
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    fill(world, 'B', 'confirm');
    const before = world.trees();
    for (const confirm of ['', snapshot.id.slice(0, 12), 'yes', snapshot.id.toUpperCase(), `${snapshot.id} `]) {
      await assert.rejects(
        backend.restore.restore({ workload: world.name, snapshot: snapshot.id, confirm }, ctx()),
        (e: { code?: number }) => e.code === ErrorCodes.Rejected,
        `confirm "${confirm}" is refused`,
      );
    }
    assert.deepEqual(world.trees(), before);
    assert.deepEqual(await leftovers(world), []);
  });

  it('CLI: refused without --yes (exit 2); with --yes and --json prints one result document', async () => {
    const backend = world.backend();
    fill(world, 'A', 'cli');
    const { snapshot } = await backend.snapshots.create({ workload: world.name }, ctx());
    fill(world, 'B', 'cli');
    const before = world.trees();
    const refused = await runCli(['snapshots', 'restore', world.name, snapshot.id.slice(0, 12), '--json'], world.env);
    assert.equal(refused.code, ExitCodes.Usage);
    assert.match(JSON.parse(refused.stdout).error.message, /--yes/);
    assert.deepEqual(world.trees(), before, 'nothing changed without --yes');

    const done = await runCli(['snapshots', 'restore', world.name, snapshot.id.slice(0, 12), '--yes', '--json'], world.env);
    assert.equal(done.code, ExitCodes.Ok, done.stderr);
    const result = JSON.parse(done.stdout) as RestoreSnapshotResult;
    assert.equal(result.snapshot, snapshot.id);
    assert.ok(result.safetySnapshot);
    const manifest = await backend.snapshots.store().readManifest(snapshot.id);
    for (const v of manifest.volumes) assert.deepEqual(world.trees()[v.target as '/data' | '/bind'], treeOfManifest(v.entries));

    const missing = await runCli(['snapshots', 'restore', world.name, 'ffffffffffff', '--yes', '--json'], world.env);
    assert.equal(missing.code, ExitCodes.NotFound);
    const nothing = await runCli(['recover', '--json'], world.env);
    assert.equal(nothing.code, ExitCodes.Ok, nothing.stderr);
    // Other runs on this engine may leave orphan helpers that any sweep removes; no restore was pending here.
    assert.deepEqual(JSON.parse(nothing.stdout).restores, []);
    await assertRunning(world);
  });

  it('the preview lists the current mounts the volumes go to, with sizes', async () => {
    const backend = world.backend();
    const [latest] = await backend.snapshots.list(world.name);
    assert.ok(latest);
    const preview = await backend.restore.preview({ workload: world.name, snapshot: latest.id }, new AbortController().signal);
    assert.deepEqual(preview.volumes.map((v) => [v.target, v.type, v.source]), [
      ['/bind', 'bind', world.bindDir],
      ['/data', 'volume', world.volume],
    ]);
    assert.equal(preview.willStop, true);
  });
});
