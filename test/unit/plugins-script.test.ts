import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCodes, type Workload } from '../../protocol/src';
import { classify, listingFromArchive, listingFromEvents, parseMarker } from '../../server/src/install/listing';
import { scriptFailure } from '../../server/src/install/outcome';
import { parseLine, PLUGIN_SCRIPT, ScriptOutput, type ScriptEvent } from '../../server/src/install/script';
import { crashAt } from '../fixtures/crash';

const work = mkdtempSync(join(tmpdir(), 'berth-plugin-script-'));
after(() => rmSync(work, { recursive: true, force: true }));

const S1 = '20250101T000000001Z-1-aaaaaaaaaaaa';
const S2 = '20250101T000000002Z-1-bbbbbbbbbbbb';
const S3 = '20250101T000000003Z-1-cccccccccccc';

describe('the script line protocol', () => {
  it('parses every kind of line', () => {
    assert.deepEqual(parseLine('STEP install.swap'), { kind: 'step', step: 'install.swap' });
    assert.deepEqual(parseLine('FAIL install.stage tar: write error: No space left'), { kind: 'fail', step: 'install.stage', text: 'tar: write error: No space left' });
    assert.deepEqual(parseLine('INFO previous ' + S1), { kind: 'info', key: 'previous', value: S1 });
    assert.deepEqual(parseLine('RECOVERED demo rolled-back'), { kind: 'recovered', name: 'demo', how: 'rolled-back' });
    assert.deepEqual(parseLine('LIVE demo complete {"stamp":"x"}'), { kind: 'live', name: 'demo', complete: true, marker: '{"stamp":"x"}' });
    assert.deepEqual(parseLine('LIVE half incomplete'), { kind: 'live', name: 'half', complete: false });
    assert.deepEqual(parseLine(`PREV demo ${S1} complete {"a":1}`), { kind: 'prev', name: 'demo', stamp: S1, complete: true, marker: '{"a":1}' });
    assert.deepEqual(parseLine('whatever else'), { kind: 'other', line: 'whatever else' });
  });

  it('splits lines across chunks and hands each on as it arrives', () => {
    const seen: ScriptEvent[] = [];
    const out = new ScriptOutput((e) => seen.push(e));
    out.write(Buffer.from('BERTH 1\nSTEP ins'));
    assert.equal(seen.length, 1);
    out.write(Buffer.from('tall.stage\nDO'));
    out.write(Buffer.from('NE'));
    out.flushPending();
    assert.deepEqual(seen, [{ kind: 'hello' }, { kind: 'step', step: 'install.stage' }, { kind: 'done' }]);
  });
});

const shells = [
  ['busybox sh', ['busybox', 'sh']],
  ['dash', ['dash']],
] as const;

for (const [shellName, shell] of shells) {
  describe(`plugin.sh under ${shellName}`, () => {
    it('is valid POSIX sh', () => {
      const r = spawnSync(shell[0], [...shell.slice(1), '-n', '-c', PLUGIN_SCRIPT]);
      assert.equal(r.status, 0, r.stderr.toString());
    });

    let count = 0;
    const fresh = () => {
      const root = join(work, `${shellName.replace(' ', '-')}-${count++}`, 'plugins');
      mkdirSync(join(root, '.staging'), { recursive: true });
      mkdirSync(join(root, '.previous'), { recursive: true });
      return root;
    };
    const put = (root: string, files: Record<string, string>) => {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(join(root, path, '..'), { recursive: true });
        writeFileSync(join(root, path), content);
      }
    };
    const run = (root: string, op: string, args: string[] = [], env: Record<string, string> = {}) => {
      const r = spawnSync(shell[0], [...shell.slice(1), '-c', PLUGIN_SCRIPT, 'berth', op, root, ...args], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BERTH_CRASH_AT: '', BERTH_FAULT_AT: '', ...env },
      });
      return { status: r.status, signal: r.signal, lines: r.stdout.toString().split('\n').filter(Boolean), stderr: r.stderr.toString() };
    };
    const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
    const text = (path: string) => readFileSync(path, 'utf8');
    const journal = (root: string, fields: Record<string, string>) =>
      writeFileSync(join(root, '.staging', `demo.${fields.stamp}.journal`), Object.entries(fields).map(([k, v]) => `${k} ${v}\n`).join(''));

    it('sweep: an install that stopped before its swap is rolled back (a partial copy of the set-aside live version is removed)', () => {
      const root = fresh();
      put(root, { 'demo/a': 'old', 'demo/.complete': '{}', [`.staging/demo.${S2}/a`]: 'new', [`.previous/demo.${S2}/a`]: 'partial', [`.previous/demo.${S1}/a`]: 'older' });
      journal(root, { op: 'install', name: 'demo', stamp: S2, from: '-', version: '2', phase: 'staged' });
      const r = run(root, 'sweep');
      assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
      assert.ok(r.lines.includes('RECOVERED demo rolled-back'));
      assert.equal(text(join(root, 'demo/a')), 'old');
      assert.deepEqual(ls(join(root, '.staging')), []);
      assert.deepEqual(ls(join(root, '.previous')), [`demo.${S1}`]);
    });

    it('sweep: after the aside but before the swap, the set-aside live version is renamed back', () => {
      const root = fresh();
      put(root, { [`.staging/demo.${S2}/a`]: 'new', [`.previous/demo.${S2}/a`]: 'old', [`.previous/demo.${S2}/.complete`]: '{}' });
      journal(root, { op: 'install', name: 'demo', stamp: S2, from: '-', version: '2', phase: 'staged' });
      const r = run(root, 'sweep');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(text(join(root, 'demo/a')), 'old');
      assert.deepEqual([ls(join(root, '.staging')), ls(join(root, '.previous'))], [[], []]);
    });

    it('sweep: after the swap, the marker is written (rolled forward) from the journal', () => {
      const root = fresh();
      put(root, { 'demo/a': 'new', [`.previous/demo.${S2}/a`]: 'old', [`.previous/demo.${S1}/a`]: 'older' });
      journal(root, { op: 'install', name: 'demo', stamp: S2, from: '-', version: '2.0', phase: 'staged' });
      const r = run(root, 'sweep');
      assert.ok(r.lines.includes('RECOVERED demo rolled-forward'), r.lines.join('\n'));
      assert.deepEqual(JSON.parse(text(join(root, 'demo/.complete'))), { berth: 1, name: 'demo', stamp: S2, version: '2.0' });
      assert.deepEqual(ls(join(root, '.previous')), [`demo.${S2}`], 'the older previous version is gone');
      assert.deepEqual(ls(join(root, '.staging')), []);
    });

    it('sweep: a roll-back journal is finished forward once the live version was set aside', () => {
      const root = fresh();
      put(root, { [`.previous/demo.${S3}/a`]: 'was-live', [`.previous/demo.${S1}/a`]: 'restore-me' });
      journal(root, { op: 'rollback', name: 'demo', stamp: S3, from: S1, version: '-', phase: 'staged' });
      const r = run(root, 'sweep');
      assert.ok(r.lines.includes('RECOVERED demo rolled-forward'), r.lines.join('\n'));
      assert.equal(text(join(root, 'demo/a')), 'restore-me');
      assert.deepEqual(ls(join(root, '.previous')), [`demo.${S3}`]);
    });

    for (const [kind, body] of [
      ['garbage', '\x00\x01{garbage'],
      ['a bad name field', `op install\nname ../etc\nstamp ${S2}\nfrom -\nversion 2\nphase staged\n`],
      ['an unknown operation', `op frobnicate\nname demo\nstamp ${S2}\nfrom -\nversion 2\nphase staged\n`],
    ] as const) {
      it(`sweep: a journal with ${kind} is never taken for "nothing to do": the set-aside live version comes back, the rest is quarantined, nothing is deleted`, () => {
        const root = fresh();
        // Killed after install.aside (live renamed to .previous/demo.S2), before the swap.
        put(root, { [`.staging/demo.${S2}/a`]: 'new', [`.previous/demo.${S2}/a`]: 'old', [`.previous/demo.${S2}/.complete`]: '{}' });
        writeFileSync(join(root, '.staging', `demo.${S2}.journal`), body);
        const r = run(root, 'sweep');
        assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
        assert.ok(r.lines.some((l) => l.startsWith('WARN') && l.includes('quarantine')), r.lines.join('\n'));
        assert.equal(text(join(root, 'demo/a')), 'old', 'the version that was live is live again');
        assert.deepEqual([ls(join(root, '.staging')), ls(join(root, '.previous'))], [[], []]);
        assert.deepEqual(ls(join(root, '.quarantine')), [`demo.${S2}`]);
        assert.deepEqual(ls(join(root, '.quarantine', `demo.${S2}`)), ['journal', 'staged']);
        assert.equal(readFileSync(join(root, '.quarantine', `demo.${S2}`, 'journal'), 'latin1'), body);
        assert.equal(text(join(root, '.quarantine', `demo.${S2}`, 'staged', 'a')), 'new');
        assert.equal(run(root, 'sweep').lines.filter((l) => l.startsWith('REMOVED') || l.startsWith('WARN')).length, 0, 'idempotent; the quarantine is left alone');
      });
    }

    it('sweep: an unreadable journal while the live plugin is there leaves it live and the set-aside version a previous version', () => {
      const root = fresh();
      put(root, { 'demo/a': 'new', [`.previous/demo.${S2}/a`]: 'old' });
      writeFileSync(join(root, '.staging', `demo.${S2}.journal`), '{garbage');
      const r = run(root, 'sweep');
      assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
      assert.equal(text(join(root, 'demo/a')), 'new');
      assert.equal(text(join(root, '.previous', `demo.${S2}`, 'a')), 'old');
      assert.deepEqual(ls(join(root, '.quarantine', `demo.${S2}`)), ['journal']);
      assert.equal(text(join(root, '.quarantine', `demo.${S2}`, 'journal')), '{garbage');
    });

    it('sweep: junk, older and orphaned previous versions and stale staging go; the newest previous of a live plugin stays', () => {
      const root = fresh();
      put(root, {
        'demo/a': 'live',
        [`.previous/demo.${S1}/a`]: 'older',
        [`.previous/demo.${S2}/a`]: 'newest',
        [`.previous/gone.${S1}/a`]: 'orphan',
        '.previous/junk name/a': 'junk',
        [`.staging/x.${S1}/a`]: 'stale',
        '.staging/.hidden': 'stale',
      });
      const r = run(root, 'sweep');
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(ls(join(root, '.previous')), [`demo.${S2}`]);
      assert.deepEqual(ls(join(root, '.staging')), []);
      assert.equal(run(root, 'sweep').lines.filter((l) => l.startsWith('REMOVED') || l.startsWith('RECOVERED')).length, 0, 'idempotent');
    });

    it('the crash seam kills the script itself at the named step', () => {
      const root = fresh();
      put(root, { 'demo/a': 'x', 'demo/.complete': '{}', [`.previous/demo.${S1}/a`]: 'y', [`.previous/demo.${S1}/.complete`]: '{}' });
      const r = run(root, 'rollback', ['demo', S2], crashAt('rollback.restore'));
      assert.equal(r.signal, 'SIGKILL');
      assert.deepEqual(r.lines.slice(-2), ['STEP rollback.restore', 'CRASH rollback.restore']);
      assert.ok(!existsSync(join(root, 'demo')), 'killed after the aside, before the restore');
      assert.ok(run(root, 'sweep').lines.includes('RECOVERED demo rolled-forward'));
      assert.equal(text(join(root, 'demo/a')), 'y');
    });

    it('a journal an earlier release wrote when killed after its install.snapshot step (now install.aside) is recovered', () => {
      // Exactly what the release whose step was still called install.snapshot wrote (its
      // write_journal): the journal names no step, so the rename cannot strand one in a container.
      const earlierRelease = `op install\nname demo\nstamp ${S2}\nfrom -\nversion 2\nphase staged\n`;
      const root = fresh();
      put(root, { 'demo/a': 'old', 'demo/.complete': '{}', [`.staging/demo.${S2}/a`]: 'new', [`.staging/demo.${S2}/.berth-end`]: `${S2}\n` });
      const killed = run(root, 'install', ['demo', S2, '2', '0', 'commit'], crashAt('install.swap'));
      assert.equal(killed.signal, 'SIGKILL', killed.lines.join('\n'));
      assert.deepEqual(killed.lines.slice(-5), ['STEP install.aside', `INFO previous ${S2}`, 'OK install.aside', 'STEP install.swap', 'CRASH install.swap']);
      assert.equal(text(join(root, '.staging', `demo.${S2}.journal`)), earlierRelease, 'the journal format is the earlier release\'s');
      assert.equal(text(join(root, '.previous', `demo.${S2}`, 'a')), 'old', 'the live copy was moved aside');

      // The earlier release's own journal, at the same point, is rolled back by this script.
      writeFileSync(join(root, '.staging', `demo.${S2}.journal`), earlierRelease);
      const r = run(root, 'sweep');
      assert.equal(r.status, 0, r.lines.join('\n') + r.stderr);
      assert.ok(r.lines.includes('RECOVERED demo rolled-back'), r.lines.join('\n'));
      assert.equal(text(join(root, 'demo/a')), 'old');
      assert.deepEqual([ls(join(root, '.staging')), ls(join(root, '.previous'))], [[], []]);
    });

    it('list reports live, previous and staging entries with their markers, using builtins only', () => {
      const root = fresh();
      put(root, { 'demo/.complete': `{"berth":1,"name":"demo","stamp":"${S2}","version":"2"}\n`, 'half/a': '', [`.previous/demo.${S1}/.complete`]: `{"stamp":"${S1}"}`, [`.staging/demo.${S3}.journal`]: '' });
      const r = run(root, 'list');
      const raw = listingFromEvents(r.lines.map(parseLine));
      const { plugins, leftovers } = classify(raw, root, { demo: { folder: '/src/demo' } });
      assert.deepEqual(
        plugins.map((p) => [p.name, p.state, p.stamp, p.version, p.previous?.stamp, p.source]),
        [
          ['demo', 'complete', S2, '2', S1, '/src/demo'],
          ['half', 'incomplete', undefined, undefined, undefined, undefined],
        ],
      );
      assert.deepEqual(leftovers, [{ kind: 'journal', path: `${root}/.staging/demo.${S3}.journal`, name: 'demo', stamp: S3 }]);
      assert.ok(lstatSync(root).isDirectory());
    });
  });
}

describe('listing from an archive (containers without a shell)', () => {
  it('reads the same model from archive entries', () => {
    const raw = listingFromArchive([
      { path: 'plugins', type: 'dir' },
      { path: 'plugins/demo', type: 'dir' },
      { path: 'plugins/demo/.complete', type: 'file', content: `{"stamp":"${S2}","version":"2"}\n` },
      { path: 'plugins/demo/a', type: 'file' },
      { path: 'plugins/.previous', type: 'dir' },
      { path: `plugins/.previous/demo.${S1}`, type: 'dir' },
      { path: 'plugins/.previous/junk', type: 'dir' },
      { path: 'plugins/.staging', type: 'dir' },
      { path: `plugins/.staging/demo.${S3}`, type: 'dir' },
    ]);
    assert.equal(raw.rootExists, true);
    const { plugins, leftovers } = classify(raw, '/configs/plugins', {});
    assert.equal(plugins[0]?.version, '2');
    assert.equal(plugins[0]?.previous?.complete, false);
    assert.deepEqual(leftovers.map((l) => l.kind).sort(), ['other', 'staging']);
  });

  it('believes only well-formed marker fields', () => {
    assert.deepEqual(parseMarker('{"stamp":"nope","version":"1 2"}'), {});
    assert.deepEqual(parseMarker('not json'), {});
    assert.deepEqual(parseMarker(`{"stamp":"${S1}","version":"1.0"}`), { stamp: S1, version: '1.0' });
  });
});

describe('script failures become named errors with the step and the rollback', () => {
  const workload = { name: 'web', identity: { key: 'container:web' } } as unknown as Workload;
  const subject = { op: 'install', workload, root: '/configs/plugins', name: 'demo' } as const;
  const result = (exitCode: number, lines: string[]) => ({ exitCode, events: lines.map(parseLine), stderr: '' });

  it('rolled back (exit 10)', () => {
    const e = scriptFailure(subject, result(10, ['STEP install.aside', 'FAIL install.aside cannot rename: Permission denied', 'ROLLBACK removed the staged copy; the live plugin is untouched']));
    assert.equal(e.code, ErrorCodes.OperationFailed);
    assert.equal(e.extra.step, 'install.aside');
    assert.equal(e.extra.rollback, 'removed the staged copy; the live plugin is untouched');
    assert.match(e.message, /^Installing plugin demo into web failed at step install\.aside: cannot rename: Permission denied\. Rolled back: removed/);
  });

  it('rollback failed too (exit 11): both errors', () => {
    const e = scriptFailure(subject, result(11, ['FAIL install.swap EXDEV: boom', 'ROLLBACKFAIL could not put the previous version back: denied']));
    assert.match(e.message, /EXDEV: boom.*rollback failed too: could not put the previous version back: denied/);
    assert.match(e.extra.rollback ?? '', /^failed: /);
  });

  it('marker failed (exit 12): names the manual recovery, nothing rolled back', () => {
    const e = scriptFailure(subject, result(12, ['FAIL install.marker cannot write /configs/plugins/demo/.complete: No space left on device']));
    assert.equal(e.extra.step, 'install.marker');
    assert.match(e.message, /not marked complete.*berth plugins rollback web demo.*\/configs\/plugins\/demo\/\.complete yourself/);
  });

  it('not found (exit 4) and conflict (exit 13) keep their codes', () => {
    assert.equal(scriptFailure({ ...subject, op: 'rollback' }, result(4, ['NOTFOUND there is no previous version of demo'])).code, ErrorCodes.NotFound);
    assert.equal(scriptFailure({ ...subject, op: 'rollback' }, result(13, ['CONFLICT the previous version has no marker'])).code, ErrorCodes.Conflict);
  });
});
