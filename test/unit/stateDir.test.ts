// A state directory Berth cannot use as it is: a folder replaced by a file, a read-only mount,
// a full disk. Every command answers with a typed message naming the path and what to do,
// never "berth failed unexpectedly", and `snapshots verify` of intact data still succeeds
// where it can read. The real CLI in-process over real directories and real tmpfs mounts
// (root); no engine (an unreachable endpoint: these commands do not need one).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { mountTmpfs, type SmallFs } from '../fixtures/hostMounts';
import { sampleVolumes, storeSnapshot } from '../fixtures/snapshotBuilder';

const work = mkdtempSync(join(tmpdir(), 'berth-statedir-'));
const nowhere = `unix:///nonexistent/berth-statedir-${process.pid}/docker.sock`;
const base = join(work, 'base');
let id = '';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function cli(state: string, ...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, { PATH: process.env.PATH, HOME: work, DOCKER_HOST: nowhere, BERTH_STATE_DIR: state });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function jsonError(run: Run): { name: string; message: string; path?: string } {
  return (JSON.parse(run.out) as { error: { name: string; message: string; path?: string } }).error;
}

/** Nothing any command printed may be the untyped fallback or a bare errno message. */
function assertTyped(run: Run, what: string): void {
  const all = `${run.out}\n${run.err}`;
  assert.doesNotMatch(all, /failed unexpectedly/, `${what}: ${all}`);
  assert.doesNotMatch(all, /\b(ENOTDIR|EISDIR|EEXIST|EACCES|EROFS|ENOSPC): /, `${what} printed a raw errno message: ${all}`);
}

function copyOfBase(name: string): string {
  const state = join(work, name);
  cpSync(base, state, { recursive: true });
  return state;
}

before(async () => {
  id = (await storeSnapshot(new SnapshotStore(base), sampleVolumes(), { key: 'container:web' })).id;
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('state directory: a file where Berth keeps a folder', () => {
  it('snapshots/records is a file: list and verify fail with exit 1 naming it; recover warns and succeeds', async () => {
    const state = copyOfBase('records-file');
    const records = join(state, 'snapshots', 'records');
    rmSync(records, { recursive: true });
    writeFileSync(records, 'not a folder');
    for (const argv of [['snapshots', 'list'], ['snapshots', 'verify', id]]) {
      const run = await cli(state, ...argv, '--json');
      assertTyped(run, argv.join(' '));
      assert.equal(run.code, ExitCodes.Failed, `${argv.join(' ')}: ${run.out}`);
      const error = jsonError(run);
      assert.equal(error.name, 'OperationFailed');
      assert.match(error.message, /is a file, but Berth needs a folder there/);
      assert.ok(error.message.includes(records), error.message);
      assert.match(error.message, /BERTH_STATE_DIR/, 'says how to choose another folder');
      assert.equal(error.path, records);
    }
    const recover = await cli(state, 'recover');
    assertTyped(recover, 'recover');
    assert.equal(recover.code, ExitCodes.Ok, recover.err);
    assert.ok(recover.err.includes(records), `the warning names the file: ${recover.err}`);
  });

  it('locks is a file: list and verify still work (reads take no lock); the warning names it', async () => {
    const state = copyOfBase('locks-file');
    const locks = join(state, 'locks');
    rmSync(locks, { recursive: true, force: true });
    writeFileSync(locks, 'not a folder');
    const list = await cli(state, 'snapshots', 'list', '--json');
    assertTyped(list, 'list');
    assert.equal(list.code, ExitCodes.Ok, list.err);
    assert.equal((JSON.parse(list.out) as { snapshots: { id: string }[] }).snapshots[0]?.id, id);
    assert.ok(list.err.includes(locks), `recovery's warning names ${locks}: ${list.err}`);
    const verify = await cli(state, 'snapshots', 'verify', id);
    assertTyped(verify, 'verify');
    assert.equal(verify.code, ExitCodes.Ok, verify.err);
    assert.match(verify.out, /is intact/);
  });
});

describe('state directory: read-only and full file systems', () => {
  /** A tmpfs for one test, unmounted whatever the test's outcome. */
  const withTmpfs = async (sizeMiB: number, run: (fs: SmallFs) => Promise<void>): Promise<void> => {
    const fs = mountTmpfs(sizeMiB);
    try {
      await run(fs);
    } finally {
      fs.dispose();
    }
  };

  it('read-only: list and verify of intact data succeed, verify says the result was not recorded; recover has nothing to do', () =>
    withTmpfs(8, async (fs) => {
      const state = join(fs.dir, 'state');
      cpSync(base, state, { recursive: true });
      fs.readOnly(true);
      const list = await cli(state, 'snapshots', 'list', '--json');
      assertTyped(list, 'list');
      assert.equal(list.code, ExitCodes.Ok, list.err);
      assert.equal((JSON.parse(list.out) as { snapshots: { id: string }[] }).snapshots[0]?.id, id);
      assert.equal(list.err, '', 'nothing waits for recovery, so nothing to warn about');
      const verify = await cli(state, 'snapshots', 'verify', id);
      assertTyped(verify, 'verify');
      assert.equal(verify.code, ExitCodes.Ok, verify.err);
      assert.match(verify.out, /is intact/);
      assert.match(verify.err, /could not be recorded/);
      assert.match(verify.err, /read-only/);
      const json = await cli(state, 'snapshots', 'verify', id, '--json');
      assert.equal(json.code, ExitCodes.Ok);
      assert.equal((JSON.parse(json.out) as { ok: boolean }).ok, true);
      const recover = await cli(state, 'recover');
      assertTyped(recover, 'recover');
      assert.equal(recover.code, ExitCodes.Ok, recover.err);
      assert.match(recover.out, /Nothing to recover/);
    }));

  it('read-only with an interrupted capture waiting: the commands say so, naming the folder', () =>
    withTmpfs(8, async (fs) => {
      const state = join(fs.dir, 'state');
      cpSync(base, state, { recursive: true });
      mkdirSync(join(state, 'snapshots', 'quiesce'), { recursive: true });
      writeFileSync(join(state, 'snapshots', 'quiesce', `${'a'.repeat(32)}.json`), '{}');
      fs.readOnly(true);
      const list = await cli(state, 'snapshots', 'list');
      assertTyped(list, 'list');
      assert.equal(list.code, ExitCodes.Ok, list.err);
      assert.match(list.err, /read-only/);
      assert.ok(list.err.includes(state), list.err);
      assert.match(list.err, /berth recover/);
    }));

  it('full: list and verify succeed with a warning that names the full file system', () =>
    withTmpfs(2, async (fs) => {
      const state = join(fs.dir, 'state');
      cpSync(base, state, { recursive: true });
      fs.fill();
      const list = await cli(state, 'snapshots', 'list', '--json');
      assertTyped(list, 'list');
      assert.equal(list.code, ExitCodes.Ok, list.err);
      assert.match(list.err, /is full/);
      assert.ok(list.err.includes(state), list.err);
      const verify = await cli(state, 'snapshots', 'verify', id);
      assertTyped(verify, 'verify');
      assert.equal(verify.code, ExitCodes.Ok, verify.err);
      assert.match(verify.out, /is intact/);
      assert.match(verify.err, /could not be recorded.*is full/s);
      const recover = await cli(state, 'recover');
      assertTyped(recover, 'recover');
    }));
});
