// The one start-up path (Backend.recoverAtStartup), run by the RPC server before it answers
// `initialize` and by the CLI before every command, costs nothing when there is nothing to
// recover: directory reads, no engine call. The engine endpoint here is a socket that counts
// every connection and closes it at once, so any engine call is seen (and fails fast instead of
// hanging the test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InitializeRequest } from 'vscode-languageserver/node';
import { ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';
import { Backend } from '../../server/src/backend';
import { rememberWorkload } from '../../server/src/install/sources';
import type { Log } from '../../server/src/log';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { sampleVolumes, storeSnapshot } from '../fixtures/snapshotBuilder';
import { startRpcPair } from './harness/rpcPair';

const work = mkdtempSync(join(tmpdir(), 'berth-startup-'));
const socket = join(work, 'engine.sock');
let engine: Server;
let engineCalls = 0;

before(async () => {
  engine = createServer((connection) => {
    engineCalls++;
    connection.destroy();
  });
  await new Promise<void>((resolve) => engine.listen(socket, resolve));
});
after(async () => {
  await new Promise<void>((resolve) => engine.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => {
  engineCalls = 0;
});

let count = 0;
const env = (stateDir: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: `unix://${socket}`, BERTH_STATE_DIR: stateDir });

/** A log that keeps what it was told. */
function recordingLog(): Log & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** A state directory that has seen work, all finished: snapshots, a plugin record, no journal, no temp. */
async function usedStateDir(): Promise<string> {
  const stateDir = join(work, `used-${count++}`);
  await storeSnapshot(new SnapshotStore(stateDir), sampleVolumes());
  await rememberWorkload(stateDir, 'container:web');
  mkdirSync(join(stateDir, 'restore', 'journals'), { recursive: true });
  return stateDir;
}

/** A PID that no process has any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('start-up recovery with nothing to recover', () => {
  it('the engine endpoint counts calls (the test can fail)', async () => {
    const backend = new Backend({ settings: {}, env: env(join(work, `probe-${count++}`)) });
    assert.equal((await backend.engineStatus()).reachable, false);
    assert.ok(engineCalls > 0, 'a call reaches the counting endpoint');
  });

  for (const [what, stateDir] of [
    ['an empty state directory', async () => join(work, `empty-${count++}`)],
    ['a state directory with snapshots and plugin records, every operation finished', usedStateDir],
  ] as const) {
    it(`${what}: no engine call, nothing reported`, async () => {
      const log = recordingLog();
      const backend = new Backend({ settings: {}, env: env(await stateDir()), log });
      const report = await backend.recoverAtStartup();
      assert.equal(engineCalls, 0, 'no engine call');
      assert.deepEqual(report, { restores: [], helpersRemoved: 0, corruptJournals: [], problems: [], didSomething: false });
      assert.deepEqual(log.lines.filter((l) => !l.startsWith('info')), []);
      assert.equal(await backend.finishRecovery(), undefined, 'nothing was deferred');
      assert.equal(engineCalls, 0, 'finishing the deferred part makes no engine call either');
    });
  }

  it('the CLI runs it before a command that needs no engine (berth snapshots list)', async () => {
    const stateDir = await usedStateDir();
    const err: string[] = [];
    const out: string[] = [];
    const code = await runCli(['snapshots', 'list', '--json'], { out: (t) => out.push(t), err: (t) => err.push(t) }, env(stateDir));
    assert.equal(code, ExitCodes.Ok, err.join('\n'));
    assert.equal((JSON.parse(out.join('')) as { snapshots: unknown[] }).snapshots.length, 1);
    assert.equal(engineCalls, 0, 'no engine call');
  });

  it('the server runs it before it answers initialize, without an engine call', async () => {
    const stateDir = await usedStateDir();
    const pair = startRpcPair({ env: env(stateDir) });
    try {
      await pair.client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
      assert.equal(engineCalls, 0, 'no engine call before the first request is served');
      assert.ok(pair.server.backend()?.startupRecovery(), 'the start-up recovery ran');
    } finally {
      pair.dispose();
    }
  });

  it('the server removes the temp files of dead writers before it answers initialize', async () => {
    const stateDir = join(work, `temp-${count++}`);
    const leftover = join(stateDir, 'restore', 'journals', `.abcdefabcdefabcd.json.${deadPid()}.aaaaaaaaaaaa.berth-tmp`);
    mkdirSync(join(leftover, '..'), { recursive: true });
    writeFileSync(leftover, '{"half":');
    const pair = startRpcPair({ env: env(stateDir) });
    try {
      await pair.client.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
      assert.equal(existsSync(leftover), false, 'swept before the answer');
    } finally {
      pair.dispose();
    }
  });
});

describe('the backend gives every service its logger', () => {
  it('the plugin service warns through the log the Backend was built with (the CLI once lost its warnings)', async () => {
    const stateDir = join(work, `log-${count++}`);
    await rememberWorkload(stateDir, 'container:web');
    const log = recordingLog();
    const backend = new Backend({ settings: {}, env: env(stateDir), log });
    // Berth has operated on a workload's plugins here, so the background sweep asks the engine,
    // which is not there: the plugin service says so.
    await backend.recoverInBackground();
    assert.ok(engineCalls > 0);
    assert.ok(log.lines.some((l) => l.startsWith('warn Plugin sweep at start-up skipped')), log.lines.join('\n'));
  });
});
