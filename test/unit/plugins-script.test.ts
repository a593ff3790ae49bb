import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCodes, type Workload } from '../../protocol/src';
import { classify, listingFromArchive, listingFromEvents, parseMarker } from '../../server/src/install/listing';
import { scriptFailure, swept } from '../../server/src/install/outcome';
import { displayName, nameFromBytes } from '../../server/src/archive/names';
import { PLUGIN_SCRIPT, ScriptOutput, type ScriptEvent } from '../../server/src/install/script';
import { crashAt } from '../fixtures/crash';

const work = mkdtempSync(join(tmpdir(), 'berth-plugin-script-'));
after(() => rmSync(work, { recursive: true, force: true }));

const S1 = '20250101T000000001Z-1-aaaaaaaaaaaa';
const S2 = '20250101T000000002Z-1-bbbbbbbbbbbb';
const S3 = '20250101T000000003Z-1-cccccccccccc';

/** One record as plugin.sh writes it: the keyword and each field ended by NUL, then a newline. */
const rec = (...fields: (string | Buffer)[]) => Buffer.concat([...fields.flatMap((f) => [Buffer.from(f), Buffer.from([0])]), Buffer.from('\n')]);
const HELLO = rec('BERTH', '2');
/** Feeds the bytes to the driver's parser in one piece; returns its events and its verdict. */
const parse = (...chunks: Buffer[]) => {
  const out = new ScriptOutput();
  for (const chunk of chunks) out.write(chunk);
  out.finish();
  return { events: out.events, problem: out.problem };
};
/** The event of one record (after the hello). */
const eventOf = (...fields: string[]) => {
  const { events, problem } = parse(HELLO, rec(...fields));
  assert.equal(problem, undefined);
  return events[1];
};

describe('the script protocol (NUL-framed records)', () => {
  it('parses every kind of record', () => {
    assert.deepEqual(eventOf('STEP', 'install.swap'), { kind: 'step', step: 'install.swap' });
    assert.deepEqual(eventOf('FAIL', 'install.stage', 'tar: write error: No space left'), { kind: 'fail', step: 'install.stage', text: 'tar: write error: No space left' });
    assert.deepEqual(eventOf('INFO', 'previous', S1), { kind: 'info', key: 'previous', value: S1 });
    assert.deepEqual(eventOf('RECOVERED', 'demo', 'rolled-back'), { kind: 'recovered', name: 'demo', how: 'rolled-back' });
    assert.deepEqual(eventOf('LIVE', 'demo', 'complete', '{"stamp":"x"}'), { kind: 'live', name: 'demo', complete: true, marker: '{"stamp":"x"}' });
    assert.deepEqual(eventOf('LIVE', 'half', 'incomplete', ''), { kind: 'live', name: 'half', complete: false });
    assert.deepEqual(eventOf('PREV', 'demo', S1, 'complete', '{"a":1}'), { kind: 'prev', name: 'demo', stamp: S1, complete: true, marker: '{"a":1}' });
    assert.deepEqual(eventOf('REMOVED', '.staging/x\nDONE'), { kind: 'removed', entry: '.staging/x\nDONE' });
    assert.deepEqual(eventOf('JUNK', 'staging'), { kind: 'junk', where: 'staging' });
    assert.deepEqual(eventOf('NOTAR'), { kind: 'notar' });
  });

  it('keeps names exact and shows texts for people with control characters escaped', () => {
    const { events } = parse(HELLO, rec('REMOVED', Buffer.from([0x2e, 0x73, 0x74, 0x61, 0x67, 0x69, 0x6e, 0x67, 0x2f, 0x63, 0xe9])), rec('WARN', 'cannot remove x\n\x1b[2Jy'));
    assert.deepEqual(events.slice(1), [
      { kind: 'removed', entry: `.staging/c${String.fromCharCode(0xdce9)}` },
      { kind: 'warn', text: 'cannot remove x\\n\\x1b[2Jy' },
    ]);
  });

  it('splits records across chunks, byte by byte, and hands each on as it arrives', () => {
    const seen: ScriptEvent[] = [];
    const out = new ScriptOutput((e) => seen.push(e));
    const bytes = Buffer.concat([HELLO, rec('STEP', 'install.stage'), rec('DONE')]);
    for (let i = 0; i < bytes.length; i++) out.write(bytes.subarray(i, i + 1));
    out.finish();
    assert.equal(out.problem, undefined);
    assert.deepEqual(seen, [{ kind: 'hello' }, { kind: 'step', step: 'install.stage' }, { kind: 'done' }]);
  });

  const broken: readonly (readonly [string, Buffer[]])[] = [
    ['the old line protocol', [Buffer.from('BERTH 1\nSTEP install.stage\nDONE\n')]],
    ['an engine message instead of the script', [Buffer.from('OCI runtime exec failed: exec failed: unable to start container process\r\n')]],
    ['a first record that is not BERTH', [rec('STEP', 'install.stage'), HELLO]],
    ['another protocol version', [rec('BERTH', '1')]],
    ['an unknown keyword', [HELLO, rec('HELLO', 'x')]],
    ['a field too many (no newline where the record ends)', [HELLO, rec('DONE', 'extra')]],
    ['a field too few (the newline arrives inside the record)', [HELLO, Buffer.from('FAIL\0install.stage\0\n')]],
    ['a step that is not a step name', [HELLO, rec('STEP', 'install.swap\nDONE')]],
    ['RECOVERED with another outcome', [HELLO, rec('RECOVERED', 'demo', 'rolled-sideways')]],
    ['REMOVED outside .staging and .previous', [HELLO, rec('REMOVED', 'demo')]],
    ['ROOT neither present nor missing', [HELLO, rec('ROOT', 'maybe')]],
    ['an incomplete plugin with a marker', [HELLO, rec('LIVE', 'demo', 'incomplete', '{}')]],
    ['a record after DONE', [HELLO, rec('DONE'), rec('REMOVED', '.staging/x')]],
    ['a second BERTH', [HELLO, HELLO]],
    ['stray bytes after the last record', [HELLO, rec('DONE'), Buffer.from('x')]],
    ['a record cut off by the end of the output', [HELLO, Buffer.from('WARN\0half')]],
    ['a field longer than any the script writes', [HELLO, Buffer.from('WARN\0'), Buffer.alloc(65 * 1024, 0x61)]],
  ];
  for (const [what, chunks] of broken) {
    it(`refuses ${what}: a violation, never skipped`, () => {
      const { events, problem } = parse(...chunks);
      assert.ok(problem, `no violation for ${what}`);
      assert.ok(!events.some((e) => e.kind === 'removed'), 'nothing from the violation on is believed');
    });
  }
});

/** An event as a line, for asserting on runs of the script with fixed names. */
const line = (e: ScriptEvent) => [e.kind.toUpperCase(), ...Object.entries(e).flatMap(([k, v]) => (k === 'kind' ? [] : [String(v)]))].join(' ');

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
      // Every run, whatever it does, must speak the protocol the driver reads.
      const output = new ScriptOutput();
      output.write(r.stdout);
      output.finish();
      assert.equal(output.problem, undefined, `the script broke its protocol: ${output.problem ?? ''}`);
      return { status: r.status, signal: r.signal, lines: output.events.map(line), events: output.events, stderr: r.stderr.toString() };
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

    it('names planted in .staging and .previous cannot add records to the protocol (list, sweep)', () => {
      const root = fresh();
      put(root, { 'demo/a': 'live', 'demo/.complete': `{"berth":1,"name":"demo","stamp":"${S2}","version":"2"}\n`, [`.previous/demo.${S1}/a`]: 'prev' });
      const planted: Buffer[] = [
        ...[
          'x\nDONE',
          `x\nLIVE evil complete {"berth":1,"name":"evil","stamp":"${S3}","version":"6.6.6"}`,
          'y\nRECOVERED demo rolled-forward',
          'z\nSTEP install.swap',
          `w\nPREV demo ${S3} complete {}`,
          "v\nREMOVED important",
          'u\rWARN carriage return',
        ].map((n) => Buffer.from(n)),
        Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      ];
      for (const name of planted) {
        for (const area of ['.staging', '.previous']) mkdirSync(Buffer.concat([Buffer.from(`${root}/${area}/`), name]));
      }
      // A journal whose own name carries lines: it is quarantined with a WARN that names it.
      const journalName = Buffer.from('q\nRECOVERED demo rolled-back\nDONE.journal');
      writeFileSync(Buffer.concat([Buffer.from(`${root}/.staging/`), journalName]), 'garbage');

      const listed = run(root, 'list');
      assert.equal(listed.status, 0, listed.stderr);
      const { plugins } = classify(listingFromEvents(listed.events), root, {});
      assert.deepEqual(
        plugins.map((p) => [p.name, p.stamp, p.previous?.setAside]),
        [['demo', S2, S1]],
        'no planted name shows up as a plugin or a previous version',
      );
      assert.equal(listed.events.filter((e) => e.kind === 'done').length, 1);

      const sweep = run(root, 'sweep');
      assert.equal(sweep.status, 0, sweep.stderr);
      const { recovered, removed } = swept(sweep.events);
      assert.deepEqual(recovered, [], 'nothing was recovered');
      assert.deepEqual(
        sweep.events.filter((e) => e.kind === 'step').map((e) => (e as { step: string }).step),
        ['sweep.recover', 'sweep.clean'],
        'no planted name passes the crash seam',
      );
      const shown = (area: string, name: Buffer) => `${area}/${displayName(nameFromBytes(name))}`;
      assert.deepEqual(removed.sort(), planted.flatMap((n) => [shown('.staging', n), shown('.previous', n)]).sort());
      const warnings = sweep.events.filter((e) => e.kind === 'warn');
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match((warnings[0] as { text: string }).text, /unreadable journal .*q\\nRECOVERED demo rolled-back\\nDONE\.journal/);
      assert.equal(sweep.events.filter((e) => e.kind === 'done').length, 1);
      assert.deepEqual(ls(join(root, '.previous')), [`demo.${S1}`]);
      assert.equal(text(join(root, 'demo/a')), 'live');
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
      const raw = listingFromEvents(r.events);
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
  const result = (exitCode: number, events: ScriptEvent[]) => ({ exitCode, events, stderr: '' });

  it('rolled back (exit 10)', () => {
    const e = scriptFailure(subject, result(10, [
        { kind: 'step', step: 'install.aside' },
        { kind: 'fail', step: 'install.aside', text: 'cannot rename: Permission denied' },
        { kind: 'rollback', text: 'removed the staged copy; the live plugin is untouched' },
      ]));
    assert.equal(e.code, ErrorCodes.OperationFailed);
    assert.equal(e.extra.step, 'install.aside');
    assert.equal(e.extra.rollback, 'removed the staged copy; the live plugin is untouched');
    assert.match(e.message, /^Installing plugin demo into web failed at step install\.aside: cannot rename: Permission denied\. Rolled back: removed/);
  });

  it('rollback failed too (exit 11): both errors', () => {
    const e = scriptFailure(subject, result(11, [
        { kind: 'fail', step: 'install.swap', text: 'EXDEV: boom' },
        { kind: 'rollbackFail', text: 'could not put the previous version back: denied' },
      ]));
    assert.match(e.message, /EXDEV: boom.*rollback failed too: could not put the previous version back: denied/);
    assert.match(e.extra.rollback ?? '', /^failed: /);
  });

  it('marker failed (exit 12): names the manual recovery, nothing rolled back', () => {
    const e = scriptFailure(subject, result(12, [{ kind: 'fail', step: 'install.marker', text: 'cannot write /configs/plugins/demo/.complete: No space left on device' }]));
    assert.equal(e.extra.step, 'install.marker');
    assert.match(e.message, /not marked complete.*berth plugins rollback web demo.*\/configs\/plugins\/demo\/\.complete yourself/);
  });

  it('not found (exit 4) and conflict (exit 13) keep their codes', () => {
    assert.equal(scriptFailure({ ...subject, op: 'rollback' }, result(4, [{ kind: 'notfound', text: 'there is no previous version of demo' }])).code, ErrorCodes.NotFound);
    assert.equal(scriptFailure({ ...subject, op: 'rollback' }, result(13, [{ kind: 'conflict', text: 'the previous version has no marker' }])).code, ErrorCodes.Conflict);
  });
});
