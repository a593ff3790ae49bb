// Application hooks, the parts that need no engine: hook-run.sh and hook-stop.sh under dash and
// busybox sh, the labels (every refusal names its label), and the bounded output (a tail kept,
// the rest counted; the PID line taken out wherever the chunks split it). The hooks against the
// real engine are in test/integration/hooks.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_HOOK_TIMEOUT_MS, hooksFromLabels, parseTimeout } from '../../server/src/hooks/labels';
import { HOOK_OUTPUT_LIMIT, OutputTail, PidLineSink } from '../../server/src/hooks/output';
import { HOOK_SCRIPTS } from '../../server/src/hooks/runner';

const HOOK_RUN = HOOK_SCRIPTS.run;
const HOOK_STOP = HOOK_SCRIPTS.stop;

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? 'busybox';
const SHELLS = [
  ['dash', [['/bin/dash', '/usr/bin/dash'].find((p) => existsSync(p)) ?? 'dash']],
  ['busybox sh', [BUSYBOX, 'sh']],
] as const;

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const [shellName, shell] of SHELLS) {
  const run = (script: string, name: string, args: readonly string[]) => {
    const r = spawnSync(shell[0], [...shell.slice(1), '-c', script, name, ...args], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  describe(`hook-run.sh under ${shellName}`, () => {
    it('prints the PID line first, then runs the hook as that very process', () => {
      const r = run(HOOK_RUN, 'berth-hook', [shell[0], ...shell.slice(1), '-c', 'echo "me:$$"; echo "berth-hook-pid:1"; echo err >&2']);
      assert.equal(r.status, 0, r.stderr);
      const [first, second, third] = r.stdout.split('\n');
      const pid = /^berth-hook-pid:(\d+)$/.exec(first ?? '')?.[1];
      assert.ok(pid, r.stdout);
      assert.equal(second, `me:${pid}`, 'exec keeps the PID the line reported');
      assert.equal(third, 'berth-hook-pid:1', "the hook's own output follows, untouched");
      assert.equal(r.stderr, 'err\n');
    });

    it("passes the hook's exit code through; a program that is not there is 127", () => {
      assert.equal(run(HOOK_RUN, 'berth-hook', [shell[0], ...shell.slice(1), '-c', 'exit 7']).status, 7);
      assert.equal(run(HOOK_RUN, 'berth-hook', ['/nonexistent/pg_dump']).status, 127);
    });
  });

  describe(`hook-stop.sh under ${shellName}`, () => {
    it('stops the hook and its children (its process group), prints nothing, exits 0', async () => {
      // A hook as the engine's exec starts it: the leader of its own process group, with a child.
      const hook = spawn('sh', ['-c', 'sleep 300 & sleep 301'], { detached: true, stdio: 'ignore' });
      hook.on('exit', () => undefined);
      const pid = hook.pid as number;
      const children = () => (existsSync(`/proc/${pid}/task/${pid}/children`) ? readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() : '');
      for (let i = 0; i < 200 && children() === ''; i++) await new Promise((r) => setTimeout(r, 10));
      assert.notEqual(children(), '', 'the hook has a child');
      // Run without blocking the event loop, so Node reaps the hook when it ends (in a container
      // the engine's shim does): a zombie still has its /proc entry.
      const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
        const stop = spawn(shell[0], [...shell.slice(1), '-c', HOOK_STOP, 'berth-hook-stop', String(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        stop.stdout.on('data', (c: Buffer) => (out += c.toString()));
        stop.stderr.on('data', (c: Buffer) => (out += c.toString()));
        stop.on('exit', (status) => resolve({ status, out }));
      });
      assert.deepEqual([r.status, r.out], [0, '']);
      for (let i = 0; i < 100 && groupAlive(pid); i++) await new Promise((res) => setTimeout(res, 20));
      assert.equal(groupAlive(pid), false, 'nothing of the group is left');
    });

    it('does nothing for a PID that is gone or not a number', () => {
      assert.deepEqual(run(HOOK_STOP, 'berth-hook-stop', ['999999999']).status, 0);
      assert.deepEqual(run(HOOK_STOP, 'berth-hook-stop', ['1;reboot']).status, 0);
      assert.deepEqual(run(HOOK_STOP, 'berth-hook-stop', ['']).status, 0);
    });
  });
}

describe('hook labels', () => {
  it('reads the string and JSON forms, the timeout and on-error', () => {
    const hooks = hooksFromLabels(
      {
        'berth.hooks.pre-snapshot': '["pg_dump","-f","/data/dump.sql","app"]',
        'berth.hooks.post-snapshot': 'rm -f /data/dump.sql',
        'berth.hooks.timeout': '5m',
        'berth.hooks.on-error': 'continue',
        'com.docker.compose.project': 'shop',
      },
      'db',
    );
    assert.deepEqual(hooks.commands['pre-snapshot'], { argv: ['pg_dump', '-f', '/data/dump.sql', 'app'], shell: false, text: '["pg_dump","-f","/data/dump.sql","app"]' });
    assert.deepEqual(hooks.commands['post-snapshot']?.argv, ['/bin/sh', '-c', 'rm -f /data/dump.sql']);
    assert.equal(hooks.commands['pre-restore'], undefined);
    assert.equal(hooks.timeoutMs, 300_000);
    assert.equal(hooks.onError, 'continue');
    assert.deepEqual(hooksFromLabels({}, 'web'), { commands: {}, timeoutMs: DEFAULT_HOOK_TIMEOUT_MS, onError: 'fail' });
    assert.deepEqual(hooksFromLabels({ 'berth.hooks.pre-restore': '   ' }, 'web').commands, {}, 'an empty label is no hook');
  });

  it('takes durations in seconds by default, and 1 s to 24 h', () => {
    assert.equal(parseTimeout('60', 'w'), 60_000);
    assert.equal(parseTimeout('90s', 'w'), 90_000);
    assert.equal(parseTimeout('1h', 'w'), 3_600_000);
    assert.equal(parseTimeout('1500ms', 'w'), 1_500);
    for (const bad of ['0', '500ms', '25h', 'soon', '-5', '1.5', '60 s']) assert.throws(() => parseTimeout(bad, 'w'), /berth\.hooks\.timeout of w must be a duration/, bad);
  });

  it('refuses what it cannot use, naming the label', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'berth.hooks.pre-snapshot': '["pg_dump", 3]' }, /berth\.hooks\.pre-snapshot of db cannot be used: .*non-empty JSON array of strings/],
      [{ 'berth.hooks.pre-snapshot': '[]' }, /non-empty JSON array/],
      [{ 'berth.hooks.pre-snapshot': '["", "x"]' }, /first element \(the program\) is empty/],
      [{ 'berth.hooks.pre-snapshot': '[pg_dump' }, /not a JSON array of strings/],
      [{ 'berth.hooks.post-restore': 'a\u0000b' }, /NUL/],
      [{ 'berth.hooks.on-error': 'ignore' }, /berth\.hooks\.on-error of db must be "fail" or "continue"/],
      [{ 'berth.hooks.presnapshot': 'true' }, /berth\.hooks\.presnapshot, which Berth does not know/],
    ];
    for (const [labels, says] of cases) assert.throws(() => hooksFromLabels(labels, 'db'), (e: Error & { codeName?: string }) => says.test(e.message) && e.codeName === 'Rejected', JSON.stringify(labels));
  });
});

describe('hook output', () => {
  it('keeps the last 64 KiB and counts the rest', () => {
    const tail = new OutputTail();
    const chunk = Buffer.alloc(1000, 0x78);
    for (let i = 0; i < 10_485; i++) tail.push(chunk);
    tail.push(Buffer.from('\nthe-end\n'));
    assert.equal(tail.total, 10_485_009);
    assert.equal(Buffer.byteLength(tail.text()), HOOK_OUTPUT_LIMIT);
    assert.equal(tail.omitted, 10_485_009 - HOOK_OUTPUT_LIMIT);
    assert.ok(tail.text().endsWith('x\nthe-end\n'));
    const big = new OutputTail(10);
    big.push(Buffer.from('0123456789abcdef'));
    assert.deepEqual([big.text(), big.omitted], ['6789abcdef', 6]);
  });

  it('takes the PID line out wherever the chunks split it, and leaves other output alone', async () => {
    const write = async (sink: PidLineSink, parts: readonly string[]) => {
      for (const p of parts) await new Promise<void>((r) => sink.write(Buffer.from(p), () => r()));
      await new Promise<void>((r) => sink.end(r));
    };
    const tail = new OutputTail();
    const sink = new PidLineSink(tail);
    await write(sink, ['berth-ho', 'ok-pid:4', '2\nhello', ' world\n']);
    assert.equal(sink.pid, 42);
    assert.equal(tail.text(), 'hello world\n');
    const other = new OutputTail();
    const plain = new PidLineSink(other);
    await write(plain, ['no marker here\n', 'berth-hook-pid:7\n']);
    assert.equal(plain.pid, undefined);
    assert.equal(other.text(), 'no marker here\nberth-hook-pid:7\n');
  });
});
