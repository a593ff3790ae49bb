// `berth snapshots export <id> <file>` through the real CLI (no engine needed): every kind of
// path a user can name. A device or FIFO is written to and never replaced, a regular file is
// replaced whole, "-" and /dev/stdout are stdout, and anything else is refused.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { crashAt } from '../fixtures/crash';
import { charDevice, fifoWithReader, isCharDevice } from '../fixtures/outputTargets';
import { tempDir } from '../fixtures/gitRepo';
import { sampleVolumes, storeSnapshot } from '../fixtures/snapshotBuilder';

const BERTH = resolve(process.cwd(), 'bin', 'berth.js');
const NO_ENGINE = `unix:///nonexistent/berth-${process.pid}/docker.sock`;

function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, DOCKER_HOST: NO_ENGINE, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => done({ code, signal, stdout: Buffer.concat(out), stderr }));
  });
}

describe('snapshots export to every kind of path (the real CLI)', () => {
  const stateDir = tempDir('berth-outcmd-state-');
  const env = { BERTH_STATE_DIR: stateDir };
  let id = '';
  let expected = Buffer.alloc(0);

  before(async () => {
    assert.ok(existsSync(resolve(process.cwd(), 'dist', 'cli.js')), 'build the CLI first (node esbuild.mjs)');
    id = (await storeSnapshot(new SnapshotStore(stateDir), sampleVolumes())).id;
    const file = join(tempDir('berth-outcmd-'), 'reference.tar.gz');
    const run = await berth(['snapshots', 'export', id, file], env);
    assert.equal(run.code, ExitCodes.Ok, run.stderr);
    expected = readFileSync(file);
  });

  it('a full device: a clear error (exit 1), and it stays a character device', async () => {
    const dir = tempDir('berth-outcmd-');
    const full = charDevice(dir, 'full');
    const run = await berth(['snapshots', 'export', id, full], env);
    assert.equal(run.code, ExitCodes.Failed, run.stderr);
    assert.match(run.stderr, /no space left/i);
    assert.ok(isCharDevice(full), `${full} was replaced`);
  });

  it('a null device: written to, and it stays a character device', async () => {
    const dir = tempDir('berth-outcmd-');
    const nul = charDevice(dir, 'null');
    const run = await berth(['snapshots', 'export', id, nul], env);
    assert.equal(run.code, ExitCodes.Ok, run.stderr);
    assert.ok(isCharDevice(nul), `${nul} was replaced`);
  });

  it('a FIFO: the reader receives exactly the file', async () => {
    const dir = tempDir('berth-outcmd-');
    const { path, received } = fifoWithReader(dir);
    const run = await berth(['snapshots', 'export', id, path], env);
    assert.equal(run.code, ExitCodes.Ok, run.stderr);
    assert.ok((await received).equals(expected));
    assert.ok(lstatSync(path).isFIFO());
  });

  it('"-", /dev/stdout and a link to /proc/self/fd/1: the file on stdout, the summary on stderr; the link stays', async () => {
    const dir = tempDir('berth-outcmd-');
    const link = join(dir, 'out-link');
    symlinkSync('/proc/self/fd/1', link);
    for (const named of ['-', '/dev/stdout', link]) {
      const run = await berth(['snapshots', 'export', id, named], env);
      assert.equal(run.code, ExitCodes.Ok, `${named}: ${run.stderr}`);
      assert.ok(run.stdout.equals(expected), `${named}: the snapshot is on stdout`);
      assert.match(run.stderr, /standard output/);
    }
    assert.equal(readlinkSync(link), '/proc/self/fd/1');
    const json = await berth(['snapshots', 'export', id, '-', '--json'], env);
    assert.equal(json.code, ExitCodes.Usage, '--json owns stdout');
  });

  it('killed at export.write the old file is whole; killed at export.commit the new one is', async () => {
    for (const [step, after] of [['export.write', 'old'], ['export.commit', 'new']] as const) {
      const dir = tempDir('berth-outcmd-');
      const file = join(dir, 'snap.tar.gz');
      writeFileSync(file, 'old\n');
      const run = await berth(['snapshots', 'export', id, file], { ...env, ...crashAt(step) });
      assert.equal(run.signal, 'SIGKILL', `died at ${step}: ${run.stderr}`);
      if (after === 'old') assert.equal(readFileSync(file, 'utf8'), 'old\n', step);
      else assert.ok(readFileSync(file).equals(expected), step);
      // At most the hidden temp file beside the target, which the next export does not need.
      assert.ok(readdirSync(dir).every((n) => n === 'snap.tar.gz' || /^\.snap\.tar\.gz\.[0-9a-f]+\.berth-tmp$/.test(n)), readdirSync(dir).join(', '));
    }
  });

  it('a folder is refused (exit 5) and a regular file is replaced whole', async () => {
    const dir = tempDir('berth-outcmd-');
    mkdirSync(join(dir, 'folder'));
    const refused = await berth(['snapshots', 'export', id, join(dir, 'folder')], env);
    assert.equal(refused.code, ExitCodes.Rejected, refused.stderr);
    assert.deepEqual(readdirSync(join(dir, 'folder')), []);
    const file = join(dir, 'snap.tar.gz');
    assert.equal((await berth(['snapshots', 'export', id, file], env)).code, ExitCodes.Ok);
    assert.equal((await berth(['snapshots', 'export', id, file], env)).code, ExitCodes.Ok);
    assert.ok(readFileSync(file).equals(expected));
    assert.deepEqual(readdirSync(dir).sort(), ['folder', 'snap.tar.gz']);
  });
});
