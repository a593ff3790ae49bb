// The lock is checked before the workload's state is judged, in every operation: while a real
// capture holds a workload paused, each other operation that would refuse it for its state
// answers BUSY (exit 3) naming the capture, never "it is paused, start it first" (following that
// advice would unpause the workload under the capture and make its snapshot inconsistent). The capture freezes itself at
// capture.read-volume (BERTH_CRASH_SIGNAL=SIGSTOP), so it is a live holder at a known point.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { lockHolder } from '../../server/src/locks';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, docker } from '../fixtures/docker';
import { makeRepo, tempDir } from '../fixtures/gitRepo';
import { createPluginContainer, createTestVolume, runCli, shIn, spawnCli } from '../fixtures/plugins';

const work = tempDir('berth-lock-order-');
const stateDir = join(work, 'state');
const env = { BERTH_STATE_DIR: stateDir };

function processState(pid: number | undefined): string {
  try {
    const stat = readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
  } catch {
    return '';
  }
}

async function waitFor(what: string, probe: () => boolean): Promise<void> {
  // A hang guard, not a timing assertion.
  const end = Date.now() + 120_000;
  while (!probe()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('operations on a workload a capture holds (real engine, real CLI)', () => {
  let cid = '';
  let key = '';
  let snapshot = '';
  let capture: ReturnType<typeof spawnCli> | undefined;
  const repo = join(work, 'repo');
  before(async () => {
    makeRepo(repo, { 'a.txt': 'a\n' });
    const volume = await createTestVolume();
    cid = await createPluginContainer({ binds: [`${volume}:/data`] });
    await shIn(cid, 'echo one > /data/a.txt');
    const name = (await docker().getContainer(cid).inspect()).Name.replace(/^\//, '');
    key = `container:${name}`;
    const first = await runCli(['snapshots', 'create', cid, '--json'], env);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    snapshot = (JSON.parse(first.stdout) as { snapshot: { id: string } }).snapshot.id;
    capture = spawnCli(['snapshots', 'create', cid, '--quiesce', 'pause', '--json'], { ...env, ...crashAt('capture.read-volume', { freeze: true }) });
    const pid = capture.child.pid;
    await waitFor('the capture to stop at capture.read-volume', () => processState(pid) === 'T');
    assert.equal((await docker().getContainer(cid).inspect()).State.Paused, true, 'the capture paused the workload');
    assert.equal((await lockHolder(stateDir, 'workload', key))?.operation, 'capture');
  });
  after(async () => {
    capture?.child.kill('SIGCONT');
    await capture?.done;
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  const assertBusyByCapture = async (args: readonly string[]) => {
    const run = await runCli([...args, '--json'], env);
    assert.equal(run.code, ExitCodes.Busy, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
    const error = (JSON.parse(run.stdout) as { error: { name: string; message: string } }).error;
    assert.equal(error.name, 'Busy');
    assert.match(error.message, new RegExp(`a snapshot capture \\(PID ${capture?.child.pid ?? 0}, started `), error.message);
    assert.doesNotMatch(error.message, /start it first/i);
    const state = (await docker().getContainer(cid).inspect()).State;
    assert.deepEqual({ paused: state.Paused, running: state.Running }, { paused: true, running: true }, `${args[0]} ${args[1]} left the container as the capture holds it`);
  };

  it('workspace import: BUSY naming the capture', async () => {
    await assertBusyByCapture(['workspace', 'import', cid, repo]);
  });

  it('a second capture and a restore: BUSY naming the capture', async () => {
    await assertBusyByCapture(['snapshots', 'create', cid]);
    await assertBusyByCapture(['snapshots', 'restore', cid, snapshot, '--yes']);
  });

  it('the capture, let go, finishes and resumes the workload', async () => {
    capture?.child.kill('SIGCONT');
    const done = await capture?.done;
    assert.equal(done?.code, 0, `${done?.stdout ?? ''}${done?.stderr ?? ''}`);
    const state = (await docker().getContainer(cid).inspect()).State;
    assert.deepEqual({ paused: state.Paused, running: state.Running }, { paused: false, running: true });
  });
});
