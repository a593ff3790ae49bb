// The restore helper's protocol, with the real script run by this machine's sh and GNU tools
// (the integration tests run it with busybox in a container): its framed output is read back
// exactly whatever the names and link targets hold, the staged-tree check catches every kind of
// difference, and the listing before an aside is deleted finds what a snapshot does not hold.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync, appendFileSync, copyFileSync } from 'node:fs';
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
import { HELPER_SCRIPT } from '../../server/src/restore/helperScript';
import { parseProbe } from '../../server/src/restore/probe';
import { TreeListing } from '../../server/src/restore/treeListing';
import { hashLine, StagedChecker, StagedTreeMismatch } from '../../server/src/restore/verifyStaged';
import { open } from 'node:fs/promises';

function helper(...args: string[]): Buffer {
  const run = spawnSync('sh', ['-c', HELPER_SCRIPT, 'berth-restore', ...args], { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, run.stderr.toString());
  return run.stdout;
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

describe('restore helper protocol (real script, GNU tools)', () => {
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
});

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

  it('refuses output that is not framed, or that stops before its end record', () => {
    assert.throws(() => records(Buffer.from('stray text\n@@end 0\n')), /not a framed record/);
    assert.throws(() => records(Buffer.from('@@names 3\nab')), /before its end record/);
    assert.deepEqual(records(Buffer.from('@@batch 2 1\na\nb@@end 0\n'))[0]?.parts.map(String), ['a\n', 'b']);
  });
});
