// The restore helper's protocol, with the real script (helper.sh) run under dash with this
// machine's GNU tools and under busybox sh with busybox's applets (the integration tests run it
// with busybox in a container): its framed output is read back
// exactly whatever the names and link targets hold, the staged-tree check catches every kind of
// difference, and the listing before an aside is deleted finds what a snapshot does not hold.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { captureVolumeTar } from '../../server/src/archive/captureVolume';
import { SnapshotDataWriter } from '../../server/src/archive/dataWriter';
import type { ManifestVolume } from '../../server/src/archive/manifest';
import { nameFromBytes } from '../../server/src/archive/names';
import { notHeld } from '../../server/src/restore/asideGuard';
import { FramedReader, type FramedRecord } from '../../server/src/restore/framed';
import { checkAnswer, HELPER_SCRIPT, parseIds, parseMissingTools, parseStageId } from '../../server/src/restore/helper';
import { parseProbe } from '../../server/src/restore/probe';
import { TreeListing } from '../../server/src/restore/treeListing';
import { hashLine, StagedChecker, StagedTreeMismatch } from '../../server/src/restore/verifyStaged';
import { open } from 'node:fs/promises';

/**
 * The shells the helper runs under: Debian's dash with this machine's GNU tools, and busybox sh,
 * which runs its own applets (find, stat, xargs, sha256sum, …) as the busybox helper image does.
 */
const SHELLS = [
  ['dash', ['dash']],
  ['busybox sh', ['busybox', 'sh']],
] as const;
type Shell = (typeof SHELLS)[number][1];

function runHelper(shell: Shell, args: readonly string[], input?: string): { status: number | null; stdout: Buffer; stderr: string } {
  const run = spawnSync(shell[0], [...shell.slice(1), '-c', HELPER_SCRIPT, 'berth-restore', ...args], { maxBuffer: 64 * 1024 * 1024, ...(input !== undefined ? { input } : {}) });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString() };
}

function records(out: Buffer, chunk = 7): FramedRecord[] {
  const found: FramedRecord[] = [];
  const reader = new FramedReader((r) => found.push(r));
  // Fed in small pieces, so records and headers are split across chunks.
  for (let i = 0; i < out.length; i += chunk) reader.write(out.subarray(i, i + chunk));
  reader.finish();
  return found;
}

/** The manifest volume a capture of `parent/name` would make (GNU tar plays the engine). */
async function manifestOf(parent: string, name: string): Promise<ManifestVolume> {
  const tar = execFileSync('tar', ['-C', parent, '-cf', '-', name], { maxBuffer: 64 * 1024 * 1024 });
  const dir = mkdtempSync(join(tmpdir(), 'berth-helper-data-'));
  const handle = await open(join(dir, 'data'), 'w');
  try {
    const captured = await captureVolumeTar(Readable.from([tar]), { index: 0, target: `/x/${name}`, nestedMounts: [], writer: new SnapshotDataWriter(handle), signal: new AbortController().signal });
    return { index: 0, target: `/x/${name}`, type: 'volume', source: '', readOnly: false, files: captured.files, bytes: captured.bytes, entries: captured.entries, skipped: captured.skipped };
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function check(volume: ManifestVolume, out: Buffer): void {
  const checker = new StagedChecker(volume);
  for (const r of records(out)) checker.record(r);
  checker.finish();
}

for (const [shellName, shell] of SHELLS) {
describe(`restore helper protocol (real script under ${shellName})`, () => {
  const helper = (...args: string[]): Buffer => {
    const run = runHelper(shell, args);
    assert.equal(run.status, 0, run.stderr);
    return run.stdout;
  };
  let root: string;
  let stage: string;
  const at = (...parts: (string | number[])[]) => Buffer.concat([Buffer.from(`${stage}/`), ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))]);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-helper-'));
    stage = join(root, 'stage');
    mkdirSync(stage);
    mkdirSync(join(stage, 'dir'));
    writeFileSync(at('new\nline'), 'a newline in the name\n');
    writeFileSync(at('caf', [0xe9], '.txt'), 'not UTF-8\n');
    writeFileSync(at('back\\slash\r'), 'a backslash and a carriage return\n');
    writeFileSync(at('dir/first'), 'shared\n');
    linkSync(at('dir/first'), at('second'));
    symlinkSync(Buffer.from('line one\nline two'), at('nl-target'));
    symlinkSync(Buffer.from([0x61, 0xff, 0x0a]), at('bytes-target'));
    symlinkSync('/etc/passwd', at('outside'));
    execFileSync('mkfifo', [join(stage, 'fifo')]);
    for (let i = 0; i < 150; i++) writeFileSync(join(stage, 'dir', `f${i}`), `file ${i}\n`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the staged tree matches its manifest: names, targets, hard links and hashes read back exactly', async () => {
    const volume = await manifestOf(root, 'stage');
    assert.ok(volume.entries.some((e) => e.path === nameFromBytes(Buffer.from('caf\xe9.txt', 'latin1'))));
    check(volume, helper('verify', root, 'stage'));
  });

  it('catches a changed byte, a changed link target, a broken hard link, a missing and an extra entry', async () => {
    const volume = await manifestOf(root, 'stage');
    const mismatch = (change: () => void, undo: () => void, why: RegExp) => {
      change();
      try {
        assert.throws(() => check(volume, helper('verify', root, 'stage')), (e: unknown) => e instanceof StagedTreeMismatch && why.test(e.message));
      } finally {
        undo();
      }
    };
    mismatch(() => appendFileSync(at('new\nline'), 'x'), () => writeFileSync(at('new\nline'), 'a newline in the name\n'), /bytes|SHA-256/);
    mismatch(
      () => {
        unlinkSync(at('nl-target'));
        symlinkSync(Buffer.from('line one\nline three'), at('nl-target'));
      },
      () => {
        unlinkSync(at('nl-target'));
        symlinkSync(Buffer.from('line one\nline two'), at('nl-target'));
      },
      /points to/,
    );
    mismatch(
      () => {
        unlinkSync(at('second'));
        copyFileSync(at('dir/first'), at('second'));
      },
      () => {
        unlinkSync(at('second'));
        linkSync(at('dir/first'), at('second'));
      },
      /hard link|names/,
    );
    mismatch(() => unlinkSync(join(stage, 'fifo')), () => execFileSync('mkfifo', [join(stage, 'fifo')]), /missing/);
    mismatch(() => writeFileSync(at('extra\n'), ''), () => unlinkSync(at('extra\n')), /not in the snapshot/);
  });

  it('the listing before an aside is removed finds what the snapshot does not hold (a socket)', async () => {
    const volume = await manifestOf(root, 'stage');
    const server = createServer().listen(join(stage, 'app.sock'));
    await new Promise((r) => server.once('listening', r));
    try {
      const listing = new TreeListing();
      for (const r of records(helper('list', root, 'stage'))) assert.ok(listing.record(r.name, r.parts[0] ?? Buffer.alloc(0)));
      assert.ok(listing.complete);
      const missing = notHeld(listing.entries, volume);
      assert.equal(missing.length, 1, missing.join('\n'));
      assert.match(missing[0] ?? '', /^app\.sock \(a socket/);
    } finally {
      server.close();
    }
    const listing = new TreeListing();
    for (const r of records(helper('list', root, 'stage'))) listing.record(r.name, r.parts[0] ?? Buffer.alloc(0));
    assert.deepEqual(notHeld(listing.entries, volume), [], 'without the socket everything is held');
  });

  it('the probe\'s framed facts parse', () => {
    const facts = parseProbe(records(helper('probe', root, 'stage')));
    assert.match(facts.liveId ?? '', /^\d+:\d+$/);
    assert.equal(facts.writable, true);
    assert.ok(facts.availableBytes > 0);
    assert.ok(facts.mountPoints.length > 0);
    assert.equal(parseProbe(records(helper('probe', join(root, 'nope'), 'x'))).error, 'parent-missing');
  });

  it('tools: every tool is there; the answer is the one line the driver reads', () => {
    assert.deepEqual(parseMissingTools(helper('tools').toString('latin1')), []);
  });

  it('mkstage: a 0700 directory whose device:inode is the whole answer, whatever its name', () => {
    const name = `stage\nid=1:2 ${shellName}`;
    const id = parseStageId(helper('mkstage', root, name).toString('latin1'));
    const made = lstatSync(join(root, name));
    assert.equal(made.mode & 0o777, 0o700);
    assert.equal(id, `${made.dev}:${made.ino}`);
  });

  it('agent: every answer is in its grammar, the renames happen, and names (newlines in them) never appear in an answer', () => {
    const parent = mkdtempSync(join(root, 'agent-'));
    const [live, stageDir, aside, conflict] = ['li\nve ok ids', 'st\nage', 'li\nve-aside', 'li\nve-conflict'];
    mkdirSync(join(parent, live));
    writeFileSync(join(parent, live, 'a'), 'old');
    mkdirSync(join(parent, stageDir));
    writeFileSync(join(parent, stageDir, 'a'), 'new');
    const idOf = (name: string) => {
      const st = lstatSync(join(parent, name));
      return `${st.dev}:${st.ino}`;
    };
    const [oldId, newId] = [idOf(live), idOf(stageDir)];
    const talk = (commands: string[]) => {
      const run = runHelper(shell, ['agent', '1', parent, live, stageDir, aside, conflict, oldId, newId], `${commands.join('\n')}\n`);
      assert.equal(run.status, 0, run.stderr);
      const lines = run.stdout.toString('latin1').split('\n');
      assert.equal(lines.pop(), '', 'every answer ends with a newline');
      assert.equal(lines.shift(), 'ready');
      assert.equal(lines.length, commands.length, lines.join('|'));
      return lines.map((line, i) => checkAnswer((commands[i] as string).split(' ')[0] as string, line));
    };
    assert.deepEqual(talk(['ids 0', 'aside 0', 'swapin 0', 'ids 0', 'bogus 0', 'aside 3', 'exit']), [
      `ok ids live=${oldId} stage=${newId} aside=none conflict=none`,
      'ok aside',
      'ok swapin',
      `ok ids live=${newId} stage=none aside=${oldId} conflict=none`,
      'fail bogus unknown',
      'fail aside bad-index',
      'bye',
    ]);
    assert.deepEqual(parseIds(`ok ids live=${newId} stage=none aside=${oldId} conflict=none`), { live: newId, stage: 'none', aside: oldId, conflict: 'none' });
    assert.deepEqual(talk(['settle-old 0', 'ids 0', 'settle-new 0', 'rmaside 0', 'rmstage 0', 'exit']), [
      'ok settle-old moved',
      `ok ids live=${oldId} stage=${newId} aside=none conflict=none`,
      'fail settle-new unexpected',
      'ok rmaside absent',
      'ok rmstage removed',
      'bye',
    ]);
    assert.equal(readFileSync(join(parent, live, 'a'), 'utf8'), 'old', 'settled back to the old data');
  });
});
}

describe('restore helper protocol pieces', () => {
  it('reads sha256sum lines of GNU (escaped) and busybox (raw) form by the expected name', () => {
    const hash = 'a'.repeat(64);
    const name = Buffer.from('./a\nb\\c');
    const gnu = Buffer.from(`\\${hash}  ./a\\nb\\\\c\n`);
    assert.deepEqual(hashLine(gnu, 0, name), { sha256: hash, next: gnu.length });
    assert.deepEqual(hashLine(Buffer.concat([Buffer.from(`${hash}  `), name, Buffer.from('\n')]), 0, name), { sha256: hash, next: 64 + 2 + name.length + 1 });
    // A name that looks like another hash line is still one name: the batch's NUL-separated
    // list of names says which names the output holds, and the expected name, not the newline,
    // decides where each line ends.
    const tricky = Buffer.from(`./x\n${'b'.repeat(64)}  ./y`);
    const out = Buffer.concat([Buffer.from(`${hash}  `), tricky, Buffer.from('\n')]);
    assert.deepEqual(hashLine(out, 0, tricky), { sha256: hash, next: out.length });
  });

  it('the agent\'s answers are checked against its grammar: anything else is an error', () => {
    const ids = 'ok ids live=1:2 stage=3:4 aside=none conflict=none';
    assert.equal(checkAnswer('ids', ids), ids);
    for (const [command, answer] of [
      ['ids', 'ok ids live=1:2 stage=3:4 stage=9:9 aside=none conflict=none'],
      ['ids', 'ok ids live=1:2 stage=3:4 aside=none'],
      ['ids', 'ok ids live=x stage=3:4 aside=none conflict=none'],
      ['aside', 'ok swapin'],
      ['aside', 'ok aside \x1b[2J'],
      ['aside', 'ok aside and more words than any answer has'],
      ['aside', ''],
      ['exit', 'ok exit'],
      ['rmaside', 'OK rmaside removed'],
    ] as const) {
      assert.throws(() => checkAnswer(command, answer), /outside its protocol/, `${command} → ${JSON.stringify(answer)}`);
    }
  });

  it('mkstage\'s id and the missing tools are read only from their exact one-line answers', () => {
    assert.equal(parseStageId('id=12:34\n'), '12:34');
    for (const bad of ['', 'id=12:34', 'id=12:34\nid=5:6\n', 'noise\nid=12:34\n', 'id=12\n']) assert.throws(() => parseStageId(bad), /outside its protocol/, JSON.stringify(bad));
    assert.deepEqual(parseMissingTools('missing= sha256sum xargs\n'), ['sha256sum', 'xargs']);
    for (const bad of ['', 'missing=\nmissing= find\n', 'oops missing=\n', 'missing= a;b\n']) assert.throws(() => parseMissingTools(bad), /outside its protocol/, JSON.stringify(bad));
  });

  it('the probe\'s records are exactly facts, du and mountinfo, with known facts only', () => {
    const rec = (name: string, text: string) => ({ name, parts: [Buffer.from(text)] });
    const good = [rec('facts', 'parent=1:2\nfstype=ef53\nlive=1:3 0 0 755\nwritable=yes\nspace=10 4096 5 9\n'), rec('du', '4\t/x\n'), rec('mountinfo', '')];
    assert.equal(parseProbe(good).liveId, '1:3');
    for (const [what, records] of [
      ['an unknown record', [...good, rec('extra', '')]],
      ['a missing record', good.slice(0, 2)],
      ['a record twice', [...good, rec('du', '8\t/x\n')]],
      ['an unknown fact', [rec('facts', 'parent=1:2\nlive=missing\nbogus=1\n'), ...good.slice(1)]],
      ['a fact twice', [rec('facts', 'live=missing\nlive=1:3 0 0 755\n'), ...good.slice(1)]],
      ['a line that is no fact', [rec('facts', 'live=missing\njunk\n'), ...good.slice(1)]],
    ] as const) {
      assert.throws(() => parseProbe(records), /outside its protocol/, what);
    }
  });

  it('refuses output that is not framed, or that stops before its end record', () => {
    assert.throws(() => records(Buffer.from('stray text\n@@end 0\n')), /not a framed record/);
    assert.throws(() => records(Buffer.from('@@names 3\nab')), /before its end record/);
    assert.deepEqual(records(Buffer.from('@@batch 2 1\na\nb@@end 0\n'))[0]?.parts.map(String), ['a\n', 'b']);
  });
});
