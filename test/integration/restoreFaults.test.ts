// Faults at exact steps of a restore (injected through the test seam `hooks.beforeStep`): a full
// disk while staging, a short write in the staged copy, a target made read-only, the container
// removed or re-created, a restart policy restarting the container, something starting it
// during the swap, and cancel before and after the point of no return. In every case each
// volume ends exactly old or exactly new, nothing the restore made is left behind (or, where a
// fault prevents cleanup, the next recovery removes it) and the workload runs when it can.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCodes, ExitCodes, type RecoveryReport, type RestoreSnapshotResult, type RestoreStep } from '../../protocol/src';
import { detachedContext } from '../../server/src/operation';
import { journalIds } from '../../server/src/restore/journal';
import type { StepHooks } from '../../server/src/restore/seams';
import { OBJECT_FILES } from '../../server/src/snapshots/layout';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, docker, TEST_LABEL, TEST_RUN } from '../fixtures/docker';
import { mountTmpfs, type SmallFs } from '../fixtures/hostMounts';
import {
  assertRunning,
  createWorld,
  fill,
  leftovers,
  letGo,
  runCli,
  spawnCli,
  stoppedAtSeam,
  treeOf,
  treeOfManifest,
  type TreeEntry,
  type World,
  type WorldOptions,
} from '../fixtures/restoreWorld';

interface Setup {
  world: World;
  snapshot: string;
  treesA: Record<'/data' | '/bind', TreeEntry[]>;
  treesB: Record<'/data' | '/bind', TreeEntry[]>;
}

const disposers: (() => Promise<void> | void)[] = [];

async function setup(options: WorldOptions = {}, beforeUse?: (world: World) => void): Promise<Setup> {
  const world = await createWorld(options);
  disposers.push(() => world.dispose());
  beforeUse?.(world);
  fill(world, 'A');
  const treesA = world.trees();
  const snapshot = await captureOnceSettled(world);
  fill(world, 'B');
  return { world, snapshot: snapshot.id, treesA, treesB: world.trees() };
}

/**
 * Takes snapshot A. A capture refuses a container caught in its restart (Conflict, by design:
 * "take the snapshot once it is up or stopped"), which a crash-looping container is for a moment
 * of every loop; the setup waits that moment out, as a user would.
 */
async function captureOnceSettled(world: World) {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await world.backend().snapshots.create({ workload: world.name, label: 'A' }, detachedContext())).snapshot;
    } catch (error) {
      if ((error as { code?: number }).code !== ErrorCodes.Conflict || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function hookAt(step: RestoreStep, volume: number | undefined, run: () => Promise<void> | void): StepHooks {
  let done = false;
  return {
    beforeStep: async (s, detail) => {
      if (done || s !== step || (volume !== undefined && detail.volume !== volume)) return;
      done = true;
      await run();
    },
  };
}

async function restore(s: Setup, hooks?: StepHooks, signal?: AbortSignal) {
  const backend = s.world.backend();
  backend.restore.hooks = hooks;
  try {
    return await backend.restore.restore({ workload: s.world.name, snapshot: s.snapshot, confirm: s.snapshot }, signal ? { signal, progress: { report: () => undefined } } : detachedContext());
  } finally {
    backend.restore.hooks = undefined;
  }
}

function stageDir(parent: string, index: number): string {
  const name = readdirSync(parent).find((n) => n.startsWith('.berth-restore-') && n.endsWith(`-${index}-stage`));
  assert.ok(name, `a staging directory for volume ${index} exists in ${parent}`);
  return join(parent, name);
}

describe('restore: faults at exact steps', () => {
  afterEach(async () => {
    for (const d of disposers.splice(0).reverse()) await d();
  });
  after(() => cleanupTestObjects());

  it('a full disk while staging: refused, old data live, staging removed, workload running', async () => {
    const fs = mountTmpfs(64);
    disposers.push(() => fs.dispose());
    const s = await setup({ bindParent: fs.dir });
    await assert.rejects(restore(s, hookAt('restore.stage', 0, () => fs.fill())), (e: { code?: number; message: string }) => e.code === ErrorCodes.OperationFailed && /no space left/i.test(e.message));
    fs.unfill();
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('a short write in the staged copy is caught by the staged-tree check and never swapped in', async () => {
    const s = await setup();
    const hooks = hookAt('restore.verify-staged', 0, () => truncateSync(join(stageDir(s.world.bindParent, 0), 'big.bin'), 1024 * 1024));
    await assert.rejects(restore(s, hooks), (e: { message: string }) => /staged copy of volume 0 .* does not match the snapshot: "big.bin" has 1048576 bytes/.test(e.message));
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('a flipped byte in the staged copy is caught by its SHA-256', async () => {
    const s = await setup();
    const hooks = hookAt('restore.verify-staged', 1, () => writeFileSync(join(stageDir(join(s.world.volumeDir, '..'), 1), 'a/b/c.txt'), 'c of A y\n'));
    await assert.rejects(restore(s, hooks), (e: { message: string }) => /content of "a\/b\/c.txt" differs/.test(e.message));
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('a target made read-only on the engine host mid-restore: rolled back; the next recovery cleans up', async () => {
    const fs = mountTmpfs(64);
    disposers.push(() => fs.dispose());
    const s = await setup({ bindParent: fs.dir });
    await assert.rejects(restore(s, hookAt('restore.aside', 0, () => fs.readOnly(true))), (e: { message: string }) => /aside/.test(e.message));
    assert.deepEqual(s.world.trees(), s.treesB, 'each volume is exactly old');
    await assertRunning(s.world, 'after the rollback');
    const stuck = await leftovers(s.world);
    assert.ok(stuck.some((l) => l.includes('-0-stage')), `the staged copy on the read-only filesystem could not be removed yet (${stuck.join(', ')})`);
    fs.readOnly(false);
    const report = await s.world.backend().restore.recover();
    assert.deepEqual(report.restores.map((r) => r.outcome), ['rolled-back']);
    assert.deepEqual(await leftovers(s.world), []);
    assert.deepEqual(s.world.trees(), s.treesB);
    await assertRunning(s.world);
  });

  it('the container removed mid-restore: nothing swapped, the volume keeps its data, nothing left over', async () => {
    const s = await setup();
    const id = (await s.world.container()).Id;
    await assert.rejects(
      restore(s, hookAt('restore.verify-staged', 1, () => docker().getContainer(id).remove({ force: true }))),
      (e: { code?: number; message: string }) => e.code === ErrorCodes.Conflict && /removed or re-created/.test(e.message),
    );
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
  });

  it('the container re-created mid-restore: nothing swapped, the new container keeps running on the old data', async () => {
    const s = await setup();
    const before = await s.world.container();
    const hooks = hookAt('restore.verify-staged', 1, async () => {
      await docker().getContainer(before.Id).remove({ force: true });
      const again = await docker().createContainer({ name: s.world.name, Image: before.Config.Image, Cmd: before.Config.Cmd ?? [], Labels: { [TEST_LABEL]: TEST_RUN }, HostConfig: { NetworkMode: 'none', Binds: before.HostConfig.Binds ?? [] } });
      await again.start();
    });
    await assert.rejects(restore(s, hooks), (e: { code?: number }) => e.code === ErrorCodes.Conflict);
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    const now = await docker().getContainer(s.world.name).inspect();
    assert.notEqual(now.Id, before.Id);
    assert.equal(now.State.Running, true);
  });

  it('the container removed after the point of no return: the new data stays, the safety copy is stored', async () => {
    const s = await setup();
    const id = (await s.world.container()).Id;
    const result = await restore(s, hookAt('restore.start', undefined, () => docker().getContainer(id).remove({ force: true })));
    assert.equal(result.finalState, 'removed');
    assert.ok(result.warnings.some((w) => /removed/.test(w)));
    assert.deepEqual(s.world.trees(), s.treesA);
    assert.ok(result.safetySnapshot);
    const safety = await s.world.backend().snapshots.store().readManifest(result.safetySnapshot);
    for (const v of safety.volumes) assert.deepEqual(treeOfManifest(v.entries), s.treesB[v.target as '/data' | '/bind']);
    assert.deepEqual(await leftovers(s.world), []);
  });

  it('a restart policy restarting the container throughout (crash loop): restored, and it keeps its policy', async () => {
    const s = await setup({ cmd: ['sh', '-c', 'sleep 0.5; exit 3'], hostConfig: { RestartPolicy: { Name: 'always' } } });
    const result = await restore(s);
    assert.equal(result.priorState, 'running');
    assert.deepEqual(s.world.trees(), s.treesA);
    assert.deepEqual(await leftovers(s.world), []);
    const info = await s.world.container();
    assert.ok(info.State.Running || info.State.Restarting, `the engine runs it again (${info.State.Status})`);
  });

  it('something starting the container during the swap (as a restart policy does after an engine restart): detected and rolled back', async () => {
    const s = await setup({ hostConfig: { RestartPolicy: { Name: 'always' } } });
    const id = (await s.world.container()).Id;
    const hooks = hookAt('restore.swap-in', 0, () => docker().getContainer(id).start());
    await assert.rejects(restore(s, hooks), (e: { message: string }) => /occupied|started/.test(e.message));
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('data written into a directory the engine created meanwhile is kept, never deleted', async () => {
    const s = await setup();
    const id = (await s.world.container()).Id;
    const hooks = hookAt('restore.swap-in', 0, async () => {
      await docker().getContainer(id).start();
      writeFileSync(join(s.world.bindDir, 'written-meanwhile'), 'precious\n');
    });
    await assert.rejects(restore(s, hooks));
    assert.deepEqual(s.world.trees(), s.treesB, 'the old data is live again');
    const kept = (await leftovers(s.world)).filter((l) => l.endsWith('-0-conflict'));
    assert.equal(kept.length, 1, 'the data written meanwhile is kept beside the target');
    assert.deepEqual(readdirSync(kept[0] as string), ['written-meanwhile']);
    await assertRunning(s.world);
  });

  it('cancel before the point of no return rolls everything back', async () => {
    const s = await setup();
    const controller = new AbortController();
    await assert.rejects(
      restore(s, hookAt('restore.swap-in', 1, () => controller.abort()), controller.signal),
      (e: { code?: number; message: string }) => e.code === ErrorCodes.Cancelled && /rolled back/.test(e.message),
    );
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('cancel after the point of no return is refused, saying why, and the restore finishes', async () => {
    const s = await setup();
    const controller = new AbortController();
    const result = await restore(s, hookAt('restore.start', undefined, () => controller.abort()), controller.signal);
    assert.match(result.cancelRefused ?? '', /point of no return/);
    assert.deepEqual(s.world.trees(), s.treesA);
    assert.ok(result.safetySnapshot);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('the data file re-encoded between the verify pass and the staging pass (same entries, other bytes): refused, nothing live changed', async () => {
    const s = await setup();
    const dataPath = join(s.world.backend().snapshots.store().objectDir(s.snapshot), OBJECT_FILES.data);
    const original = readFileSync(dataPath);
    const hooks = hookAt('restore.stage', 0, () => {
      // The same tar compressed anew: every entry still matches the manifest, so only the data
      // file's sealed hash can tell that it is not the file the first pass verified.
      const tar = gunzipSync(original);
      const changed = [1, 9, 6].map((level) => gzipSync(tar, { level })).find((gz) => !gz.equals(original));
      assert.ok(changed);
      writeFileSync(dataPath, changed);
    });
    await assert.rejects(restore(s, hooks), (e: { code?: number; message: string }) => e.code === ErrorCodes.Rejected && /data file/.test(e.message));
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  it('a file\'s bytes changed in the data file between the verify pass and the staging pass: refused, nothing live changed', async () => {
    const s = await setup();
    const dataPath = join(s.world.backend().snapshots.store().objectDir(s.snapshot), OBJECT_FILES.data);
    const hooks = hookAt('restore.stage', 0, () => {
      const tar = gunzipSync(readFileSync(dataPath));
      const at = tar.indexOf('c of A x');
      assert.ok(at > 0, 'the file content is in the archive');
      tar.write('c of A y', at);
      writeFileSync(dataPath, gzipSync(tar));
    });
    await assert.rejects(restore(s, hooks), (e: { code?: number }) => e.code === ErrorCodes.Rejected);
    assert.deepEqual(s.world.trees(), s.treesB);
    assert.deepEqual(await leftovers(s.world), []);
    await assertRunning(s.world);
  });

  // The fuse only turns a CLI that never exits (as it did when the failed hand-over left the
  // helper's agent open) into a failure; nothing is asserted about time.
  it('a safety copy that fails after the commit (state folder full) does not fail the restore: safetyPending, old data kept, recovery stores it', { timeout: 300_000 }, async () => {
    let stateFs: SmallFs | undefined;
    const s = await setup({}, (world) => {
      stateFs = mountTmpfs(64, world.stateDir);
      disposers.push(() => stateFs?.dispose());
    });
    const fs = stateFs as SmallFs;
    // The real CLI, stopped at restore.safety (after the commit and the start) while the test
    // fills the state folder, then let go.
    const run = spawnCli(['snapshots', 'restore', s.world.name, s.snapshot, '--yes', '--json'], { ...s.world.env, ...crashAt('restore.safety', { freeze: true }) });
    try {
      await stoppedAtSeam(run, 'restore.safety');
      fs.fill();
    } finally {
      await letGo(run);
    }
    const done = await run.done;
    assert.equal(done.code, ExitCodes.Ok, `the committed restore succeeds: ${done.stdout}${done.stderr}`);
    const result = JSON.parse(done.stdout) as RestoreSnapshotResult;
    assert.match(result.safetyPending ?? '', /space/i);
    assert.equal(result.safetySnapshot, undefined);
    assert.deepEqual(s.world.trees(), s.treesA, 'the new data is live');
    await assertRunning(s.world, 'the workload runs on the new data');
    const copies = result.safetyCopies ?? [];
    assert.equal(copies.length, 2);
    for (const copy of copies) {
      const target = copy.startsWith(s.world.bindParent) ? '/bind' : '/data';
      assert.deepEqual(treeOf(copy), s.treesB[target], `the old ${target} is kept at ${copy}`);
    }
    assert.equal((await journalIds(s.world.stateDir)).length, 1, 'the journal waits for recovery');

    fs.unfill();
    const recovered = await runCli(['recover', '--json'], s.world.env);
    assert.equal(recovered.code, ExitCodes.Ok, recovered.stdout + recovered.stderr);
    const report = JSON.parse(recovered.stdout) as RecoveryReport;
    assert.deepEqual(report.restores.map((r) => r.outcome), ['completed']);
    const safety = report.restores[0]?.safetySnapshot;
    assert.ok(safety);
    const manifest = await s.world.backend().snapshots.store().readManifest(safety);
    for (const v of manifest.volumes) assert.deepEqual(treeOfManifest(v.entries), s.treesB[v.target as '/data' | '/bind']);
    assert.deepEqual(await leftovers(s.world), []);
    assert.deepEqual(s.world.trees(), s.treesA);
  });
});

export type { SmallFs };
