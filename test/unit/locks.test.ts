import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCodes } from '../../protocol/src';
import { acquireLock, lockHolder, lockPath } from '../../server/src/locks';

const stateDir = mkdtempSync(join(tmpdir(), 'berth-locks-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

function runChild(key: string, hold: boolean): Promise<{ out: string; pid: number; child: ReturnType<typeof spawn> }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'lockChild.js')], {
      env: { ...process.env, BERTH_LOCK_CHILD: '1', STATE_DIR: stateDir, KEY: key, HOLD: hold ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ out: out.trim(), pid: child.pid ?? -1, child });
    });
  });
}

describe('cross-process workload locks', () => {
  it('a second holder in another process gets BUSY at once', async () => {
    const lock = await acquireLock(stateDir, 'workload', 'container:a', 'install');
    const { out } = await runChild('container:a', false);
    assert.equal(out, `busy:${ErrorCodes.Busy}`);
    await lock.release();
    const again = await runChild('container:a', false);
    assert.equal(again.out, 'acquired');
  });

  it('BUSY names the operation that holds the lock', async () => {
    const lock = await acquireLock(stateDir, 'workload', 'container:b', 'restore');
    await assert.rejects(acquireLock(stateDir, 'workload', 'container:b', 'install'), (e: Error & { code: number }) => e.code === ErrorCodes.Busy && /restore/.test(e.message));
    await lock.release();
  });

  it('takes over the lock of a SIGKILLed holder', async () => {
    const { out, child } = await runChild('container:c', true);
    assert.equal(out, 'acquired');
    assert.ok(await lockHolder(stateDir, 'workload', 'container:c'));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const lock = await acquireLock(stateDir, 'workload', 'container:c', 'install');
    assert.equal(lock.owner.pid, process.pid);
    await lock.release();
  });

  it('treats a live PID with another start time as stale (PID reuse)', async () => {
    const path = lockPath(stateDir, 'workload', 'container:d');
    mkdirSync(join(stateDir, 'locks'), { recursive: true });
    writeFileSync(path, JSON.stringify({ pid: process.pid, startTime: '1', host: hostname(), operation: 'old', key: 'container:d', token: 'dead', acquiredAt: '' }));
    const lock = await acquireLock(stateDir, 'workload', 'container:d', 'install');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).token, lock.owner.token);
    await lock.release();
    assert.equal(existsSync(path), false);
  });

  it('never breaks a lock held on another host', async () => {
    const path = lockPath(stateDir, 'workload', 'container:e');
    writeFileSync(path, JSON.stringify({ pid: 1, startTime: '1', host: 'elsewhere', operation: 'remote', key: 'container:e', token: 'x', acquiredAt: '' }));
    await assert.rejects(acquireLock(stateDir, 'workload', 'container:e', 'install'), (e: { code: number }) => e.code === ErrorCodes.Busy);
    rmSync(path);
  });

  it('scopes are independent: a workspace lock does not block a workload lock', async () => {
    const ws = await acquireLock(stateDir, 'workspace', 'container:f', 'export');
    const wl = await acquireLock(stateDir, 'workload', 'container:f', 'install');
    await wl.release();
    await ws.release();
  });

  it('of 10 processes racing for one lock, exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => runChild('container:g', true)));
    const winners = results.filter((r) => r.out === 'acquired');
    const busy = results.filter((r) => r.out === `busy:${ErrorCodes.Busy}`);
    for (const r of results) r.child.kill('SIGKILL');
    assert.equal(winners.length, 1);
    assert.equal(busy.length, 9);
  });

  it('waits for the holder when asked to', async () => {
    const lock = await acquireLock(stateDir, 'workload', 'container:h', 'install');
    const waiting = acquireLock(stateDir, 'workload', 'container:h', 'rollback', { wait: true, pollMs: 10 });
    setImmediate(() => void lock.release());
    const second = await waiting;
    assert.equal(second.owner.operation, 'rollback');
    await second.release();
  });

  it('a long wait with one cancellation signal does not pile up abort listeners', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const lock = await acquireLock(stateDir, 'workload', 'container:w', 'install');
      const controller = new AbortController();
      const waiting = acquireLock(stateDir, 'workload', 'container:w', 'rollback', { wait: true, pollMs: 1, signal: controller.signal });
      // Dozens of polls with the same signal.
      await new Promise((r) => setTimeout(r, 200));
      await lock.release();
      await (await waiting).release();
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
