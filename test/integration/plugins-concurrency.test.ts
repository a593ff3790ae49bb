import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { acquireLock, lockHolder } from '../../server/src/locks';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, docker } from '../fixtures/docker';
import { containerTree, createPluginContainer, createTestVolume, folderTree, runCli, shIn, spawnCli, subtree, withoutMarker, writePlugin } from '../fixtures/plugins';

const ROOT = '/configs/plugins';
const work = mkdtempSync(join(tmpdir(), 'berth-plugins-conc-'));
const stateDir = join(work, 'state');
const env = { BERTH_STATE_DIR: stateDir };
const small = writePlugin(join(work, 'small', 'demo'), { 'a.txt': 'small\n' });
// Big enough that its install holds the lock for a while: 48 MiB in 12 files.
const big = writePlugin(join(work, 'big', 'demo'), { 'a.txt': 'big\n' });
for (let i = 0; i < 12; i++) writeFileSync(join(big, `blob${i}.bin`), Buffer.alloc(4 * 1024 * 1024, i));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 30_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The state letter of a process (field 3 of /proc/PID/stat): `T` once it is stopped. */
function processState(pid: number | undefined): string {
  try {
    const stat = readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
  } catch {
    return '';
  }
}


describe('plugins: one operation per workload at a time, across processes', () => {
  let id = '';
  let key = '';
  before(async () => {
    id = await createPluginContainer();
    key = `container:${(await docker().getContainer(id).inspect()).Name.replace(/^\//, '')}`;
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  it('two CLIs installing at once: one succeeds, the other gets BUSY (exit 3) at once', async () => {
    const first = spawnCli(['plugins', 'install', id, big, '--json'], env);
    const holder = await waitFor('the first CLI to hold the lock', () => lockHolder(stateDir, 'workload', key));
    assert.equal(holder.pid, first.child.pid);
    assert.equal(holder.operation, 'install');
    const second = await runCli(['plugins', 'install', id, small, '--json'], env);
    const firstRun = await first.done;
    assert.equal(second.code, ExitCodes.Busy, second.stdout + second.stderr);
    const error = (JSON.parse(second.stdout) as { error: { name: string; message: string } }).error;
    assert.equal(error.name, 'Busy');
    assert.match(error.message, /install/);
    assert.equal(firstRun.code, 0, firstRun.stdout + firstRun.stderr);
    const t = await containerTree(id, ROOT);
    assert.ok(t);
    assert.deepEqual(withoutMarker(subtree(t.tree, 'demo')), folderTree(big), 'the winner\'s install is whole');
  });

  it('every mutating command answers BUSY while another process holds the workload', async () => {
    const lock = await acquireLock(stateDir, 'workload', key, 'restore');
    try {
      for (const args of [
        ['plugins', 'install', id, small],
        ['plugins', 'rollback', id, 'demo'],
        ['plugins', 'remove', id, 'demo'],
        ['plugins', 'sweep', id],
      ]) {
        const run = await runCli([...args, '--json'], env);
        assert.equal(run.code, ExitCodes.Busy, `${args.join(' ')}: ${run.stdout}`);
        assert.match(run.stdout, /restore/, 'BUSY names the operation that holds the lock');
      }
      const listed = await runCli(['plugins', 'list', id, '--json'], env);
      assert.equal(listed.code, 0, 'listing never waits for the lock');
      assert.equal((JSON.parse(listed.stdout) as { workloads: { busy?: string }[] }).workloads[0]?.busy, 'restore');
    } finally {
      await lock.release();
    }
  });

  it('--wait waits for the holder instead of failing, then installs', async () => {
    const lock = await acquireLock(stateDir, 'workload', key, 'restore');
    const waiting = spawnCli(['plugins', 'install', id, small, '--wait', '--json', '--verbose'], env);
    let stderr = '';
    waiting.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // Once the CLI has checked the folder it would install at once without the lock.
    await waitFor('the waiting CLI to reach the lock', async () => (stderr.includes('Checking') ? true : undefined));
    const before = await containerTree(id, ROOT);
    assert.deepEqual(withoutMarker(subtree(before?.tree ?? {}, 'demo')), folderTree(big), 'nothing installed while the lock is held');
    await lock.release();
    const run = await waiting.done;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const t = await containerTree(id, ROOT);
    assert.deepEqual(withoutMarker(subtree(t?.tree ?? {}, 'demo')), folderTree(small));
  });

  it('a SIGKILLed holder does not block the next operation (stale lock taken over)', async () => {
    const run = await runCli(['plugins', 'install', id, big], { ...env, ...crashAt('install.stage') });
    assert.equal(run.signal, 'SIGKILL');
    const next = await runCli(['plugins', 'install', id, small, '--json'], env);
    assert.equal(next.code, 0, next.stdout);
  });

  it('install, roll-back, remove and sweep during a paused capture answer BUSY (exit 3) naming the capture; nothing changes', async () => {
    const volume = await createTestVolume();
    const cid = await createPluginContainer({ binds: [`${volume}:/data`] });
    await shIn(cid, 'echo data > /data/a.txt');
    const ckey = `container:${(await docker().getContainer(cid).inspect()).Name.replace(/^\//, '')}`;
    const before = await containerTree(cid, ROOT);
    // The capture freezes itself (SIGSTOP) right after reading its first entry: its lock is held
    // and the workload paused, exactly as while it streams a large volume.
    const capture = spawnCli(['snapshots', 'create', cid, '--quiesce', 'pause', '--json'], { ...env, ...crashAt('capture.read-volume', { freeze: true }) });
    const pid = capture.child.pid;
    try {
      await waitFor('the capture to stop at capture.read-volume', async () => (processState(pid) === 'T' ? true : undefined), 120_000);
      assert.equal((await docker().getContainer(cid).inspect()).State.Paused, true, 'the capture paused the workload');
      const holder = await lockHolder(stateDir, 'workload', ckey);
      assert.deepEqual({ operation: holder?.operation, pid: holder?.pid }, { operation: 'capture', pid });
      for (const args of [
        ['plugins', 'install', cid, small],
        ['plugins', 'rollback', cid, 'demo'],
        ['plugins', 'remove', cid, 'demo'],
        ['plugins', 'sweep', cid],
      ]) {
        const run = await runCli([...args, '--json'], env);
        assert.equal(run.code, ExitCodes.Busy, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
        const error = (JSON.parse(run.stdout) as { error: { name: string; message: string } }).error;
        assert.equal(error.name, 'Busy');
        assert.match(error.message, new RegExp(`a snapshot capture \\(PID ${pid ?? 0}, started \\d{4}-`), error.message);
        assert.doesNotMatch(error.message, /start it first/i, 'the advice must not be to unpause the workload under the capture');
      }
      const state = (await docker().getContainer(cid).inspect()).State;
      assert.deepEqual({ paused: state.Paused, running: state.Running }, { paused: true, running: true }, 'the container state is untouched');
    } finally {
      capture.child.kill('SIGCONT');
    }
    const done = await capture.done;
    assert.equal(done.code, 0, `the capture finishes normally once it goes on: ${done.stdout}${done.stderr}`);
    const after = (await docker().getContainer(cid).inspect()).State;
    assert.deepEqual({ paused: after.Paused, running: after.Running }, { paused: false, running: true });
    assert.deepEqual((await containerTree(cid, ROOT))?.tree, before?.tree, 'no plugin was installed, rolled back or removed');
  });
});
