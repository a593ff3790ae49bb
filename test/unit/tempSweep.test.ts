// Temp files of atomic writes that a kill left behind (`.<file>.<pid>….berth-tmp`) are swept by
// the next command, `berth recover` included; one whose writer still runs is left alone. Runs
// the real CLI in-process over a real state directory; no engine (an unreachable endpoint).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../cli/src/cli';

const work = mkdtempSync(join(tmpdir(), 'berth-tempsweep-'));
const nowhere = `unix:///nonexistent/berth-tempsweep-${process.pid}/docker.sock`;
const hostTag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const otherHost = createHash('sha256').update(`${hostname()}-elsewhere`).digest('hex').slice(0, 8);

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

/** A PID that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid ?? 0;
  await new Promise((resolve) => child.once('exit', resolve));
  return pid;
}

function put(state: string, rel: string): string {
  const path = join(state, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '{"half":');
  return path;
}

async function cli(state: string, ...argv: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  const code = await runCli(argv, { out: () => undefined, err: (t) => err.push(t) }, { PATH: process.env.PATH, HOME: work, DOCKER_HOST: nowhere, BERTH_STATE_DIR: state });
  return { code, err };
}

describe('interrupted atomic writes are swept at start-up', () => {
  let live: ChildProcess;
  before(async () => {
    live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    await new Promise((resolve) => live.once('spawn', resolve));
  });
  after(() => {
    live.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('berth recover removes the leftovers of dead writers anywhere in the state dir, and keeps live ones', async () => {
    const state = join(work, 'state');
    const dead = await deadPid();
    const livePid = live.pid ?? 0;
    const liveStart = startTime(livePid);
    const journal = '0123456789abcdef';
    const gone = [
      // Exactly what a kill during a restore journal write left with the current release.
      put(state, `restore/journals/.${journal}.json.${dead}.a1b2c3d4e5f6.berth-tmp`),
      put(state, `snapshots/records/${'d'.repeat(32)}/.${'e'.repeat(64)}.json.${dead}-123456-${hostTag}.0a0b0c0d0e0f.berth-tmp`),
      put(state, `snapshots/verify/.${'e'.repeat(64)}.json.${dead}-99-${hostTag}.111111111111.berth-tmp`),
      put(state, `snapshots/quiesce/.${'f'.repeat(32)}.json.${dead}.222222222222.berth-tmp`),
      put(state, `plugins/.sources-${'a'.repeat(32)}.json.${dead}-5-${hostTag}.333333333333.berth-tmp`),
      put(state, `workspace/imports/.${'b'.repeat(32)}.json.${dead}.444444444444.berth-tmp`),
      put(state, `workspace/exports/x1/.record.json.${dead}-7-${hostTag}.555555555555.berth-tmp`),
      // The PID runs, but it is another process than the writer (a recycled PID).
      put(state, `plugins/.sources-r.json.${livePid}-1-${hostTag}.666666666666.berth-tmp`),
    ];
    const kept = [
      // Its writer still runs: it may be writing this very moment.
      put(state, `restore/journals/.${journal}.json.${livePid}-${liveStart}-${hostTag}.777777777777.berth-tmp`),
      // The old name form of a live PID: cannot be told apart from a live write, so kept.
      put(state, `restore/journals/.${journal}.json.${livePid}.888888888888.berth-tmp`),
      // Another host's process cannot be judged from here.
      put(state, `plugins/.sources-${'c'.repeat(32)}.json.${dead}-3-${otherHost}.999999999999.berth-tmp`),
      // Not a temp file of an atomic write.
      put(state, 'restore/journals/notes.berth-tmp'),
    ];
    const run = await cli(state, 'recover');
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.deepEqual(gone.filter((p) => existsSync(p)), [], 'leftovers of dead writers are removed');
    assert.deepEqual(kept.filter((p) => !existsSync(p)), [], 'files of live writers and other files stay');
  });

  it('any other command sweeps too (berth snapshots list)', async () => {
    const state = join(work, 'state2');
    const dead = await deadPid();
    const leftover = put(state, `restore/journals/.abcdefabcdefabcd.json.${dead}.aaaaaaaaaaaa.berth-tmp`);
    const run = await cli(state, 'snapshots', 'list', '--json');
    assert.equal(run.code, 0, run.err.join('\n'));
    assert.equal(existsSync(leftover), false);
  });
});
