// Application hooks against the real engine (docs/consistency.md): each event (pre/post
// snapshot, pre/post restore), a failing hook with on-error=fail and =continue, a timeout that
// stops the hook's processes, a cancel while a pre-hook runs, a hook that prints 10 MiB, and the
// labels Berth refuses before touching anything.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { BerthError } from '../../server/src/errors';
import type { Log } from '../../server/src/log';
import { detachedContext } from '../../server/src/operation';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../fixtures/docker';

const BERTH = resolve(__dirname, '../../../bin/berth.js');

/** Runs a shell command in the container and returns its stdout. */
function sh(container: string, script: string): string {
  return execFileSync('docker', ['exec', container, 'sh', '-c', script], { encoding: 'utf8' });
}

async function state(name: string): Promise<{ running: boolean; paused: boolean }> {
  const info = await docker().getContainer(name).inspect();
  return { running: info.State.Running, paused: info.State.Paused };
}

/** How many times the engine paused the container since `since` (seconds since the epoch). */
function pauseEvents(name: string, since: number): number {
  const out = execFileSync('docker', ['events', '--since', String(since), '--until', (Date.now() / 1000 + 1).toFixed(3), '--filter', `container=${name}`, '--filter', 'event=pause', '--format', '{{.Action}}'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

interface Hooked {
  readonly name: string;
  readonly volume: string;
}

describe('application hooks against the real engine', () => {
  let root: string;
  let stateDir: string;
  let backend: Backend;
  const logged: string[] = [];
  const log: Log = { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(m) };

  before(async () => {
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-hooks-'));
    stateDir = join(root, 'state');
    backend = new Backend({ settings: {}, env: { ...process.env, BERTH_STATE_DIR: stateDir }, log });
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(root, { recursive: true, force: true });
  });

  /** A workload with a named volume at /data holding `value`, and these labels. */
  async function hooked(labels: Record<string, string>, value = 'live'): Promise<Hooked> {
    const volume = uniqueName('berth-hookvol');
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    const name = uniqueName('berth-hooks');
    await createTestContainer({ name, binds: [`${volume}:/data`], labels, cmd: ['sh', '-c', `echo ${value} > /data/value; trap "exit 0" TERM; while true; do sleep 1; done`] });
    for (let i = 0; i < 100 && !sh(name, 'cat /data/value 2>/dev/null || true').includes(value); i++) await new Promise((r) => setTimeout(r, 50));
    return { name, volume };
  }

  /** The content of `path` in the snapshot's volume at /data. */
  async function inSnapshot(id: string, path: string): Promise<string | undefined> {
    const store = backend.snapshots.store();
    const manifest = await store.readManifest(id);
    const volume = manifest.volumes.find((v) => v.target === '/data');
    if (!volume?.entries.some((e) => e.path === path)) return undefined;
    return execFileSync('tar', ['-xzOf', join(store.layout.objects, id, 'data.tar.gz'), `${volume.index}/${path}`], { encoding: 'utf8' });
  }

  it('pre-snapshot runs before the capture (its dump is in the snapshot), post-snapshot after the workload runs again', async () => {
    const w = await hooked({
      // The JSON argv form and the /bin/sh -c string form.
      'berth.hooks.pre-snapshot': '["sh","-c","echo dumped-$(cat /data/value) > /data/dump.sql; echo pre >> /tmp/hooklog"]',
      'berth.hooks.post-snapshot': 'rm /data/dump.sql; echo post >> /tmp/hooklog',
    });
    const since = Math.floor(Date.now() / 1000) - 1;
    const result = await backend.snapshots.create({ workload: w.name }, detachedContext());
    assert.equal(await inSnapshot(result.snapshot.id, 'dump.sql'), 'dumped-live\n', 'the pre-hook\'s dump was captured');
    assert.equal(pauseEvents(w.name, since), 1, 'paused once, for the copy (the count the refusal below relies on)');
    assert.equal(sh(w.name, 'cat /tmp/hooklog'), 'pre\npost\n', 'pre ran, then post, once each');
    assert.equal(sh(w.name, 'test -e /data/dump.sql && echo present || echo gone').trim(), 'gone', 'the post-hook ran after the capture');
    assert.deepEqual(result.hooks?.map((h) => [h.event, h.status]), [['pre-snapshot', 'ok'], ['post-snapshot', 'ok']]);
    assert.equal(result.snapshot.quiesce, 'pause');
    assert.deepEqual(await state(w.name), { running: true, paused: false });
    assert.ok(logged.some((l) => l.includes('[hook pre-snapshot') && l.includes('succeeded')), 'the hook went to the log');
  });

  it('a failing pre-snapshot hook (on-error=fail) stops the capture before anything is touched; the post-hook still runs', async () => {
    const w = await hooked({
      'berth.hooks.pre-snapshot': 'echo "pg_dump: connection refused" >&2; exit 3',
      'berth.hooks.post-snapshot': 'echo post >> /tmp/hooklog',
    });
    const before = (await backend.snapshots.list(undefined)).length;
    const since = Math.floor(Date.now() / 1000) - 1;
    await assert.rejects(backend.snapshots.create({ workload: w.name }, detachedContext()), (error: unknown) => {
      assert.ok(error instanceof BerthError);
      assert.equal(error.code, ErrorCodes.OperationFailed);
      assert.match(error.message, /pre-snapshot hook .* exited with code 3/);
      assert.match(error.message, /connection refused/, 'the hook\'s output is quoted');
      assert.match(error.message, /before touching anything/);
      assert.equal(error.extra.step, 'hook.pre-snapshot');
      return true;
    });
    assert.equal((await backend.snapshots.list(undefined)).length, before, 'no snapshot was stored');
    assert.equal(sh(w.name, 'cat /tmp/hooklog'), 'post\n', 'the post-hook ran after the failed pre-hook');
    const events = pauseEvents(w.name, since);
    assert.equal(events, 0, 'the workload was never paused');
  });

  it('with on-error=continue a failing pre-hook is a warning and the capture goes on', async () => {
    const w = await hooked({ 'berth.hooks.pre-snapshot': 'exit 7', 'berth.hooks.on-error': 'continue', 'berth.hooks.post-snapshot': 'echo post >> /tmp/hooklog' });
    const result = await backend.snapshots.create({ workload: w.name }, detachedContext());
    assert.ok(result.warnings.some((m) => /pre-snapshot hook .* exited with code 7.*Continuing/.test(m)), result.warnings.join('\n'));
    assert.deepEqual(result.hooks?.map((h) => h.status), ['failed', 'ok']);
    assert.equal(sh(w.name, 'cat /tmp/hooklog'), 'post\n');
  });

  it('a failing post-snapshot hook (on-error=fail) fails the capture and stores nothing; the workload runs', async () => {
    const w = await hooked({ 'berth.hooks.post-snapshot': 'exit 4' });
    const before = (await backend.snapshots.list(undefined)).length;
    const objects = (await backend.snapshots.store().objectIds()).length;
    await assert.rejects(backend.snapshots.create({ workload: w.name }, detachedContext()), /post-snapshot hook .* exited with code 4/);
    assert.equal((await backend.snapshots.list(undefined)).length, before, 'no record');
    assert.equal((await backend.snapshots.store().objectIds()).length, objects, 'no object');
    assert.deepEqual(await state(w.name), { running: true, paused: false });
  });

  it('a hook that outlives berth.hooks.timeout is stopped with its children, and the post-hook runs', async () => {
    const w = await hooked({ 'berth.hooks.pre-snapshot': 'sleep 300 & sleep 301; echo never >> /tmp/hooklog', 'berth.hooks.timeout': '2s', 'berth.hooks.post-snapshot': 'echo post >> /tmp/hooklog' });
    await assert.rejects(backend.snapshots.create({ workload: w.name }, detachedContext()), /did not finish within 2 s; it was stopped/);
    // The pattern is split so that this checker's own command line does not match it.
    const sleeping = sh(w.name, 'for p in /proc/[0-9]*; do c=$(tr "\\0" " " < $p/cmdline 2>/dev/null); case "$c" in *"sleep 3""0"*) echo "$p: $c";; esac; done; true');
    assert.equal(sleeping.trim(), '', `no hook process is left: ${sleeping}`);
    assert.equal(sh(w.name, 'cat /tmp/hooklog'), 'post\n');
    assert.deepEqual(await state(w.name), { running: true, paused: false });
  });

  it('a cancel while the pre-hook runs stops it, runs the post-hook and touches nothing', async () => {
    const w = await hooked({ 'berth.hooks.pre-snapshot': 'echo started > /tmp/pre-started; sleep 300', 'berth.hooks.post-snapshot': 'echo post >> /tmp/hooklog' });
    const controller = new AbortController();
    const capture = backend.snapshots.create({ workload: w.name }, detachedContext(controller.signal));
    for (let i = 0; i < 200 && !sh(w.name, 'cat /tmp/pre-started 2>/dev/null || true').includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await assert.rejects(capture, /cancelled/);
    assert.equal(sh(w.name, 'cat /tmp/hooklog'), 'post\n');
    assert.deepEqual(await state(w.name), { running: true, paused: false });
  });

  it('a hook that prints 10 MiB keeps a 64 KiB tail and counts the rest', async () => {
    const w = await hooked({ 'berth.hooks.pre-snapshot': 'head -c 10485760 /dev/zero; echo; echo the-end' });
    logged.length = 0;
    const result = await backend.snapshots.create({ workload: w.name }, detachedContext());
    const pre = result.hooks?.[0];
    assert.equal(pre?.status, 'ok');
    assert.ok(pre.output.length <= 64 * 1024, `kept ${pre.output.length} characters`);
    assert.ok(pre.output.endsWith('the-end\n'), 'the tail is the end of the output');
    assert.equal(Buffer.byteLength(pre.output) + pre.omittedBytes, 10 * 1024 * 1024 + 9, 'every byte was counted');
    const bytesLogged = logged.reduce((n, l) => n + l.length, 0);
    assert.ok(bytesLogged < 200 * 1024, `the log got ${bytesLogged} characters, not 10 MiB`);
  });

  it('refuses an unusable hook label before touching anything (exit 5)', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'berth.hooks.pre-snapshot': '["pg_dump", 3]' }, /berth\.hooks\.pre-snapshot .* JSON array of strings/],
      [{ 'berth.hooks.timeout': 'soon' }, /berth\.hooks\.timeout .* 1s to 24h/],
      [{ 'berth.hooks.on-error': 'ignore' }, /berth\.hooks\.on-error .* "fail" or "continue"/],
      [{ 'berth.hooks.pre-snapshots': 'true' }, /berth\.hooks\.pre-snapshots, which Berth does not know/],
    ];
    for (const [labels, says] of cases) {
      const w = await hooked(labels);
      const run = await new Promise<{ code: number | null; stderr: string }>((r) => {
        const child = spawn(process.execPath, [BERTH, 'snapshots', 'create', w.name], { env: { ...process.env, BERTH_STATE_DIR: stateDir }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => r({ code, stderr }));
      });
      assert.equal(run.code, 5, run.stderr);
      assert.match(run.stderr, says);
      assert.deepEqual(await state(w.name), { running: true, paused: false });
    }
  });

  it('the CLI prints the hook\'s output with --verbose', async () => {
    const w = await hooked({ 'berth.hooks.pre-snapshot': 'echo "dump of 3 tables"' });
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((r) => {
      const child = spawn(process.execPath, [BERTH, 'snapshots', 'create', w.name, '--verbose'], { env: { ...process.env, BERTH_STATE_DIR: stateDir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => r({ code, stdout, stderr }));
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /\[hook pre-snapshot container:berth-hooks-[^\]]+\] dump of 3 tables/);
    assert.match(out.stdout, /Hook pre-snapshot of container:berth-hooks-\S+: succeeded/);
  });

  describe('restore hooks', () => {
    it('pre-restore runs before anything is touched, post-restore once the workload is up on the restored data', async () => {
      const w = await hooked(
        {
          'berth.hooks.pre-restore': 'echo "pre saw $(cat /data/value)" >> /hooklog',
          'berth.hooks.post-restore': 'echo "post saw $(cat /data/value)" >> /hooklog',
        },
        'old',
      );
      const { snapshot } = await backend.snapshots.create({ workload: w.name }, detachedContext());
      sh(w.name, 'echo new > /data/value');
      const result = await backend.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext());
      // The container's own layer keeps /hooklog across the restore's stop and start.
      assert.equal(sh(w.name, 'cat /hooklog'), 'pre saw new\npost saw old\n', 'pre-restore saw the data before, post-restore the restored data');
      assert.deepEqual(result.hooks?.map((h) => [h.event, h.status]), [['pre-restore', 'ok'], ['post-restore', 'ok']]);
      assert.equal(result.finalState, 'running');
    });

    it('a failing pre-restore hook refuses the restore: the volume is exactly old, the post-restore hook ran', async () => {
      const w = await hooked({ 'berth.hooks.pre-restore': 'exit 2', 'berth.hooks.post-restore': 'echo post >> /hooklog' }, 'old');
      const { snapshot } = await backend.snapshots.create({ workload: w.name }, detachedContext());
      sh(w.name, 'echo new > /data/value');
      const startedAt = (await docker().getContainer(w.name).inspect()).State.StartedAt;
      await assert.rejects(backend.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), /pre-restore hook .* exited with code 2/);
      assert.equal(sh(w.name, 'cat /data/value'), 'new\n', 'exactly old: nothing was restored');
      assert.equal((await docker().getContainer(w.name).inspect()).State.StartedAt, startedAt, 'never stopped');
      assert.equal(sh(w.name, 'cat /hooklog'), 'post\n');
      assert.equal((await backend.snapshots.list(w.name)).filter((s) => s.label === 'pre-restore').length, 0, 'no safety copy: nothing was swapped');
    });

    it('with on-error=continue a failing pre-restore hook is a warning and the restore goes on', async () => {
      const w = await hooked({ 'berth.hooks.pre-restore': 'exit 2', 'berth.hooks.on-error': 'continue' }, 'old');
      const { snapshot } = await backend.snapshots.create({ workload: w.name }, detachedContext());
      sh(w.name, 'echo new > /data/value');
      const result = await backend.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext());
      assert.equal(sh(w.name, 'cat /data/value'), 'old\n');
      assert.ok(result.warnings.some((m) => /pre-restore hook .* exited with code 2.*Continuing/.test(m)), result.warnings.join('\n'));
    });

    it('a failing post-restore hook (on-error=fail) is reported as a failure; the restore itself stays done', async () => {
      const w = await hooked({ 'berth.hooks.post-restore': 'exit 9' }, 'old');
      const { snapshot } = await backend.snapshots.create({ workload: w.name }, detachedContext());
      sh(w.name, 'echo new > /data/value');
      await assert.rejects(backend.restore.restore({ workload: w.name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext()), /restore of .* finished .* but: The post-restore hook .* exited with code 9/);
      assert.equal(sh(w.name, 'cat /data/value'), 'old\n', 'the restored data stays');
      assert.deepEqual(await state(w.name), { running: true, paused: false });
    });
  });
});
