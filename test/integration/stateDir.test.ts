// A state directory Berth cannot use as it is, with the real CLI as a process against the real
// engine: a folder replaced by a file, a read-only mount, a full disk. Each command answers with
// a typed message that names the path and what to do and exits 1 (or succeeds where it only
// reads); none prints "failed unexpectedly"; the workload is left exactly as it was (running,
// not paused).
import assert from 'node:assert/strict';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { cleanupTestObjects, docker } from '../fixtures/docker';
import { tempDir } from '../fixtures/gitRepo';
import { mountTmpfs, type SmallFs } from '../fixtures/hostMounts';
import { createPluginContainer, createTestVolume, runCli, shIn, writePlugin, type CliRun } from '../fixtures/plugins';

const work = tempDir('berth-statedir-int-');
const base = join(work, 'base');
const plugin = writePlugin(join(work, 'plugin', 'demo'), { 'a.txt': 'a\n' });

function assertTyped(run: CliRun, what: string): void {
  const all = `${run.stdout}\n${run.stderr}`;
  assert.doesNotMatch(all, /failed unexpectedly/, `${what}: ${all}`);
  assert.doesNotMatch(all, /\b(ENOTDIR|EISDIR|EEXIST|EACCES|EROFS|ENOSPC): /, `${what} printed a raw errno message: ${all}`);
}

function failure(run: CliRun, what: string): { name: string; message: string; path?: string } {
  assertTyped(run, what);
  assert.equal(run.code, ExitCodes.Failed, `${what}: ${run.stdout}${run.stderr}`);
  return (JSON.parse(run.stdout) as { error: { name: string; message: string; path?: string } }).error;
}

describe('state directory problems against the real engine (real CLI)', () => {
  let cid = '';
  let id = '';
  /** A tmpfs for one test, unmounted whatever the test's outcome. */
  const withTmpfs = async (sizeMiB: number, run: (fs: SmallFs) => Promise<void>): Promise<void> => {
    const fs = mountTmpfs(sizeMiB);
    try {
      await run(fs);
    } finally {
      fs.dispose();
    }
  };
  before(async () => {
    const volume = await createTestVolume();
    cid = await createPluginContainer({ binds: [`${volume}:/data`] });
    await shIn(cid, 'echo one > /data/a.txt');
    const first = await runCli(['snapshots', 'create', cid, '--json'], { BERTH_STATE_DIR: base });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    id = (JSON.parse(first.stdout) as { snapshot: { id: string } }).snapshot.id;
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  });

  const assertUntouched = async () => {
    const state = (await docker().getContainer(cid).inspect()).State;
    assert.deepEqual({ running: state.Running, paused: state.Paused }, { running: true, paused: false }, 'the workload is left as it was');
  };

  const expectAll = async (state: string, expected: { readonly write: RegExp; readonly path: string }) => {
    const env = { BERTH_STATE_DIR: state };
    const list = await runCli(['snapshots', 'list', '--json'], env);
    assertTyped(list, 'list');
    assert.equal(list.code, ExitCodes.Ok, list.stderr);
    assert.equal((JSON.parse(list.stdout) as { snapshots: { id: string }[] }).snapshots[0]?.id, id);
    const verify = await runCli(['snapshots', 'verify', id], env);
    assertTyped(verify, 'verify');
    assert.equal(verify.code, ExitCodes.Ok, verify.stderr);
    assert.match(verify.stdout, /is intact/);
    for (const args of [['snapshots', 'create', cid], ['plugins', 'install', cid, plugin]]) {
      const error = failure(await runCli([...args, '--json'], env), args.join(' '));
      assert.equal(error.name, 'OperationFailed');
      assert.match(error.message, expected.write, error.message);
      assert.ok(error.message.includes(expected.path), `${args[0]} ${args[1]} names ${expected.path}: ${error.message}`);
      assert.ok(error.message.includes(state), `${args[0]} ${args[1]} says where the state is: ${error.message}`);
      await assertUntouched();
    }
    const recover = await runCli(['recover'], env);
    assertTyped(recover, 'recover');
  };

  it('locks is a file: capture and install exit 1 naming it; list and verify work', async () => {
    const state = join(work, 'locks-file');
    cpSync(base, state, { recursive: true });
    rmSync(join(state, 'locks'), { recursive: true, force: true });
    writeFileSync(join(state, 'locks'), 'x');
    await expectAll(state, { write: /is a file, but Berth needs a folder there/, path: join(state, 'locks') });
  });

  it('read-only: capture and install exit 1 saying so; list and verify of intact data succeed', () =>
    withTmpfs(8, async (fs) => {
      const state = join(fs.dir, 'state');
      cpSync(base, state, { recursive: true });
      fs.readOnly(true);
      await expectAll(state, { write: /read-only file system/, path: state });
      const verify = await runCli(['snapshots', 'verify', id], { BERTH_STATE_DIR: state });
      assert.match(verify.stderr, /could not be recorded/);
    }));

  it('full: capture and install exit 1 naming the full file system; nothing is left behind', () =>
    withTmpfs(2, async (fs) => {
      const state = join(fs.dir, 'state');
      cpSync(base, state, { recursive: true });
      fs.fill();
      await expectAll(state, { write: /is full/, path: state });
      assert.deepEqual(readdirSync(join(state, 'locks')), [], 'no lock file (not even an empty one) is left behind');
      fs.unfill();
      const again = await runCli(['snapshots', 'create', cid, '--json'], { BERTH_STATE_DIR: state });
      assert.equal(again.code, 0, `with space again the capture works: ${again.stdout}${again.stderr}`);
    }));

  it('fills up during the capture: exit 1 naming the full file system, the workload resumed, no temp data left', async () => {
    await shIn(cid, 'head -c 3000000 /dev/urandom > /data/big.bin');
    try {
      await withTmpfs(4, async (fs) => {
        const state = join(fs.dir, 'state');
        cpSync(base, state, { recursive: true });
        fs.fillLeaving(512 * 1024);
        const error = failure(await runCli(['snapshots', 'create', cid, '--json'], { BERTH_STATE_DIR: state }), 'create');
        assert.match(error.message, /is full/, error.message);
        assert.ok(error.message.includes(state), `names where: ${error.message}`);
        await assertUntouched();
        assert.deepEqual(readdirSync(join(state, 'snapshots', 'tmp')), [], 'the partial capture is removed');
      });
    } finally {
      await shIn(cid, 'rm /data/big.bin');
    }
  });
});
