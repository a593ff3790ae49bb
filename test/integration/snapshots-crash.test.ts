// Crash at every named capture step: the real CLI runs as a child process with
// BERTH_CRASH_AT=<step> and SIGKILLs itself there. The next start of the CLI must put the
// workload back in its prior state, and the store must hold no partial snapshot.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { CAPTURE_STEPS, type CaptureStep } from '../../protocol/src';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../fixtures/docker';
import { startRpcPair } from '../unit/harness/rpcPair';

const BERTH = resolve(__dirname, '../../../bin/berth.js');

/** Steps at which the workload is quiesced when the process dies. */
const QUIESCED_AT: ReadonlySet<CaptureStep> = new Set(['capture.quiesce', 'capture.read-volume']);
/** The steps at which a `--quiesce stop` capture differs from a paused one. */
const STOP_STEPS: readonly CaptureStep[] = ['capture.journal', 'capture.quiesce', 'capture.read-volume', 'capture.resume'];

function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function stateOf(c: Docker.Container): Promise<{ running: boolean; paused: boolean }> {
  const info = await c.inspect();
  return { running: info.State.Running, paused: info.State.Paused };
}

describe('capture crash at every named step, then the next start', () => {
  let root: string;
  let container: Docker.Container;
  let name: string;

  before(async () => {
    assert.ok(existsSync(resolve(__dirname, '../../../dist/cli.js')), 'build the CLI first (node esbuild.mjs)');
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-snap-crash-'));
    mkdirSync(join(root, 'bind'));
    mkdirSync(join(root, 'states'));
    const volume = uniqueName('berth-crashvol');
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    name = uniqueName('berth-crash');
    container = await createTestContainer({
      name,
      binds: [`${volume}:/data`, `${join(root, 'bind')}:/srv/bind`],
      cmd: ['sh', '-c', 'mkdir -p /data/a/b && echo one > /data/a/b/f && head -c 2000000 /dev/urandom > /data/r && trap "exit 0" TERM; while true; do sleep 1; done'],
    });
    for (let i = 0; i < 100; i++) {
      const out = await new Promise<string>((r) => {
        const p = spawn('docker', ['exec', name, 'sh', '-c', 'test -s /data/r && echo yes']);
        let s = '';
        p.stdout.on('data', (c: Buffer) => (s += c.toString()));
        p.on('exit', () => r(s));
      });
      if (out.includes('yes')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    await cleanupTestObjects();
    rmSync(root, { recursive: true, force: true });
  });

  it('the backend\'s start recovers too: a workload the CLI left paused runs again once the server is up', async () => {
    const stateDir = mkdtempSync(join(root, 'states', 'state-'));
    const crashed = await berth(['snapshots', 'create', name], { BERTH_STATE_DIR: stateDir, ...crashAt('capture.read-volume') });
    assert.equal(crashed.signal, 'SIGKILL');
    assert.deepEqual(await stateOf(container), { running: true, paused: true });
    const pair = startRpcPair({ env: { ...process.env, BERTH_STATE_DIR: stateDir } });
    try {
      await pair.initialize();
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && (await stateOf(container)).paused) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await stateOf(container), { running: true, paused: false });
      while (Date.now() < deadline && list(new SnapshotStore(stateDir).layout.tmp).length > 0) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(list(new SnapshotStore(stateDir).layout.tmp), []);
      assert.deepEqual(list(new SnapshotStore(stateDir).layout.quiesce), []);
    } finally {
      pair.dispose();
    }
  });

  const variants = [...CAPTURE_STEPS.map((step) => ({ step, quiesce: 'pause' })), ...STOP_STEPS.map((step) => ({ step, quiesce: 'stop' }))];
  for (const { step, quiesce } of variants) {
    it(`${step} (quiesce ${quiesce})`, async () => {
      const stateDir = mkdtempSync(join(root, 'states', 'state-'));
      const env = { BERTH_STATE_DIR: stateDir };
      const crashed = await berth(['snapshots', 'create', name, '--quiesce', quiesce], { ...env, ...crashAt(step) });
      assert.equal(crashed.signal, 'SIGKILL', `the process died at ${step} (exit ${crashed.code}, ${crashed.stderr})`);
      const during = await stateOf(container);
      if (QUIESCED_AT.has(step)) {
        assert.deepEqual(during, quiesce === 'pause' ? { running: true, paused: true } : { running: false, paused: false }, 'the crash left the workload quiesced');
      }

      // The next start: any CLI command runs the recovery sweep first.
      const next = await berth(['snapshots', 'list', '--json'], env);
      assert.equal(next.code, 0, next.stderr);
      assert.deepEqual(await stateOf(container), { running: true, paused: false }, 'back in its prior state');

      const store = new SnapshotStore(stateDir);
      assert.deepEqual(list(store.layout.tmp), [], 'no temp leftovers');
      assert.deepEqual(list(store.layout.quiesce), [], 'no quiesce journal left');
      const records = await store.catalog.list();
      const objects = await store.objectIds();
      assert.deepEqual(new Set(objects), new Set(records.map((r) => r.id)), 'every object is in the catalog and every entry has its object');
      const listed = JSON.parse(next.stdout) as { snapshots: { id: string }[] };
      assert.equal(listed.snapshots.length, step === 'capture.catalog' ? 1 : 0, 'a snapshot is visible only once complete');
      const backend = new Backend({ settings: {}, env: { ...process.env, ...env } });
      for (const id of objects) assert.equal((await backend.snapshots.verify({ id }, detachedContext())).ok, true);

      // The dead process's lock is taken over: the next capture works.
      const again = await berth(['snapshots', 'create', name, '--quiesce', quiesce, '--json'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await stateOf(container), { running: true, paused: false });
      // Every capture is its own record: the one stored before the crash at capture.catalog stays.
      assert.equal((await store.catalog.list()).length, step === 'capture.catalog' ? 2 : 1);
    });
  }
});
