// Guard 3: one restore per workload at a time, through the same cross-process lock as install.
// Ten simultaneous restores: exactly one runs, nine get BUSY. While a restore runs, an install's
// lock (from another process), a second restore from the CLI and a capture all get BUSY; nothing
// is queued or merged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ExitCodes } from '../../protocol/src';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects } from '../fixtures/docker';
import { assertRunning, createWorld, fill, leftovers, runCli, treeOfManifest, type World } from '../fixtures/restoreWorld';

function lockFromAnotherProcess(stateDir: string, key: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'lockChild.js')], {
      env: { ...process.env, BERTH_LOCK_CHILD: '1', STATE_DIR: stateDir, KEY: key, HOLD: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => resolve(out.trim()));
  });
}

describe('restore: concurrency on one workload', () => {
  let world: World;
  let snapshot: string;
  before(async () => {
    await cleanupTestObjects();
    world = await createWorld();
    fill(world, 'A');
    snapshot = (await world.backend().snapshots.create({ workload: world.name }, detachedContext())).snapshot.id;
  });
  after(async () => {
    await world?.dispose();
    await cleanupTestObjects();
  });

  it('10 simultaneous restores: exactly one runs, nine get BUSY', async () => {
    fill(world, 'B');
    const backend = world.backend();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => backend.restore.restore({ workload: world.name, snapshot, confirm: snapshot }, detachedContext())),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const busy = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: number }).code === ErrorCodes.Busy);
    assert.equal(ok.length, 1, JSON.stringify(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))));
    assert.equal(busy.length, 9);
    for (const r of busy) assert.match(((r as PromiseRejectedResult).reason as Error).message, /a restore \(PID \d+, started /);
    const manifest = await backend.snapshots.store().readManifest(snapshot);
    for (const v of manifest.volumes) assert.deepEqual(world.trees()[v.target as '/data' | '/bind'], treeOfManifest(v.entries));
    assert.deepEqual(await leftovers(world), []);
    await assertRunning(world);
  });

  it('during a restore, an install (another process), a second restore (CLI) and a capture get BUSY', async () => {
    fill(world, 'B');
    const backend = world.backend();
    const key = (await backend.workloads.resolve(world.name)).identity.key;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached: () => void = () => undefined;
    const atStage = new Promise<void>((resolve) => (reached = resolve));
    backend.restore.hooks = {
      beforeStep: async (step, detail) => {
        if (step === 'restore.stage' && detail.volume === 0) {
          reached();
          await held;
        }
      },
    };
    const running = backend.restore.restore({ workload: world.name, snapshot, confirm: snapshot }, detachedContext());
    try {
      await atStage;
      assert.equal(await lockFromAnotherProcess(world.stateDir, key), `busy:${ErrorCodes.Busy}`, 'an install in another process gets BUSY');
      const second = await runCli(['snapshots', 'restore', world.name, snapshot, '--yes', '--json'], world.env);
      assert.equal(second.code, ExitCodes.Busy, second.stdout + second.stderr);
      assert.match(JSON.parse(second.stdout).error.message, /a restore \(PID \d+, started /);
      const capture = await runCli(['snapshots', 'create', world.name, '--json'], world.env);
      assert.equal(capture.code, ExitCodes.Busy, capture.stdout + capture.stderr);
    } finally {
      release();
      backend.restore.hooks = undefined;
    }
    const result = await running;
    assert.ok(result.safetySnapshot);
    assert.deepEqual(await leftovers(world), []);
    assert.equal(await lockFromAnotherProcess(world.stateDir, key), 'acquired', 'the lock is free afterwards');
  });
});
