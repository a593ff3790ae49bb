// Schema 2 of the snapshot format: names and link targets as bytes, every entry type a volume
// can hold, the one link resolver, the rules verify/import/restore share, and schema-1
// snapshots written by the first release. No engine: archives come from the hand-made encoder,
// from the writer, from GNU tar, and from a tar the engine itself produced (a fixture).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { captureVolumeTar } from '../../server/src/archive/captureVolume';
import { computeContentId } from '../../server/src/archive/contentId';
import { SnapshotDataWriter } from '../../server/src/archive/dataWriter';
import { linksLeaving, resolveLink, treeOfEntries } from '../../server/src/archive/linkResolver';
import { manifestJson, parseManifestJson, type ManifestEntry, type ManifestVolume, type SnapshotManifest } from '../../server/src/archive/manifest';
import { displayName, isCanonicalName, nameFromBytes, nameToBytes } from '../../server/src/archive/names';
import { manifestMember } from '../../server/src/archive/portable';
import { restoreProblem } from '../../server/src/archive/restorable';
import { readSnapshotArchive } from '../../server/src/archive/snapshotReader';
import { encodeHeader } from '../../server/src/archive/tarEncoder';
import { scanTar, type TarEntryHeader } from '../../server/src/archive/tarScanner';
import { RejectedError } from '../../server/src/errors';
import { scanPluginFolder } from '../../server/src/install/source';
import { detachedContext } from '../../server/src/operation';
import { warningsOf } from '../../server/src/snapshots/capture';
import { migrateLegacy } from '../../server/src/snapshots/migration';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { exportSnapshot, importFile } from '../../server/src/snapshots/transfer';
import { verifyObject } from '../../server/src/snapshots/verify';
import { entry, END, paxRecord, tarOf } from '../fixtures/craftTar';
import { sha256 } from '../fixtures/snapshotBuilder';
import { installV1Snapshot, V1_ID } from '../fixtures/v1Snapshot';

const problem = (message: string, path: string | undefined) => new RejectedError(message, path ? { path } : {});
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

async function headersOf(tar: Buffer): Promise<TarEntryHeader[]> {
  const out: TarEntryHeader[] = [];
  await scanTar(Readable.from([tar]), { entry: (h) => void out.push(h) }, { formatError: (m) => new Error(m) });
  return out;
}

describe('names as bytes', () => {
  it('maps any byte string to a name and back, one to one', () => {
    const samples = [bytes('plain'), bytes('caf', [0xe9], '.txt'), bytes('new\nline'), bytes([0xed, 0xa0, 0x80]), bytes([0xc0, 0x80]), bytes([0xf0, 0x90, 0x80, 0x80]), bytes([0xf4, 0x90, 0x80, 0x80]), Buffer.from('ünï€😀', 'utf8'), bytes([0xf0, 0x90, 0x82, 0x80, 0xe9])];
    for (let i = 0; i < 3000; i++) samples.push(randomBytes(1 + (i % 12)));
    const seen = new Map<string, string>();
    for (const raw of samples) {
      const name = nameFromBytes(raw);
      assert.ok(nameToBytes(name).equals(raw), `round trip of ${raw.toString('hex')}`);
      assert.ok(isCanonicalName(name));
      const previous = seen.get(name);
      assert.ok(previous === undefined || previous === raw.toString('hex'), 'two byte strings never share a name');
      seen.set(name, raw.toString('hex'));
    }
    assert.equal(nameFromBytes(Buffer.from('ünï', 'utf8')), 'ünï', 'UTF-8 stays readable text');
    assert.equal(displayName(nameFromBytes(bytes('caf', [0xe9], '\n\\'))), 'caf\\xe9\\n\\\\');
  });
});

describe('tar reading keeps every byte and refuses what tar readers disagree on', () => {
  it('reads names and link targets exactly, also through PAX records that hold newlines', async () => {
    const weird = nameFromBytes(bytes('0/', 'd'.repeat(120), '/new\nline ', [0xe9, 0xff]));
    const target = nameFromBytes(bytes('first\n', [0xfe], 'x'.repeat(120)));
    const tar = Buffer.concat([
      encodeHeader({ path: weird, type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 1 }),
      encodeHeader({ path: '0/link', type: 'symlink', size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 1, linkpath: target }),
      encodeHeader({ path: nameFromBytes(bytes('0/short', [0xe9], '\n')), type: 'fifo', size: 0, mode: 0o600, uid: 0, gid: 0, mtime: 1 }),
      encodeHeader({ path: '0/dev', type: 'chardev', size: 0, mode: 0o600, uid: 0, gid: 0, mtime: 1, devMajor: 4095, devMinor: 1048575 }),
      END,
    ]);
    const headers = await headersOf(tar);
    assert.equal(headers[0]?.path, weird);
    assert.equal(headers[1]?.linkpath, target);
    assert.equal(headers[2]?.path, nameFromBytes(bytes('0/short', [0xe9], '\n')));
    assert.deepEqual([headers[3]?.kind, headers[3]?.devMajor, headers[3]?.devMinor], ['chardev', 4095, 1048575]);
  });

  const refused: [string, () => Buffer, RegExp][] = [
    ['a lone zero block followed by more headers', () => Buffer.concat([entry({ name: 'a', body: 'x' }), Buffer.alloc(512), entry({ name: 'b', body: 'y' }), END]), /lone zero block/],
    ['two PAX headers for one entry', () => tarOf([{ name: 'P', type: 'x', body: paxRecord('comment', '1') }, { name: 'P', type: 'x', body: paxRecord('comment', '2') }, { name: 'a', body: 'x' }]), /two PAX headers/],
    ['a PAX path together with a GNU long name', () => tarOf([{ name: 'P', type: 'x', body: paxRecord('path', 'one') }, { name: '././@LongLink', type: 'L', body: 'two\0' }, { name: 'a', body: 'x' }]), /both a PAX path and a GNU long name/],
    ['a body on a symlink', () => tarOf([{ name: 'l', type: '2', linkname: 't', size: 512, body: Buffer.alloc(512, 0x41) }]), /carries 512 bytes/],
    ['GNU sparse records', () => tarOf([{ name: 'P', type: 'x', body: paxRecord('GNU.sparse.map', '0,1') }, { name: 'a', body: 'x' }]), /sparse/],
    ['a PAX header with no entry after it', () => tarOf([{ name: 'a', body: 'x' }, { name: 'P', type: 'x', body: paxRecord('path', 'b') }]), /no entry after it/],
    ['a trailing PAX global header', () => tarOf([{ name: 'a', body: 'x' }, { name: 'g', type: 'g', body: paxRecord('comment', 'x') }]), /PAX global header/],
    ['data after the end marker', () => Buffer.concat([tarOf([{ name: 'a', body: 'x' }]), Buffer.from('hidden')]), /data follows the end-of-archive marker/],
    ['a PAX record whose length is wrong', () => tarOf([{ name: 'P', type: 'x', body: '99 path=a\n' }, { name: 'a', body: 'x' }]), /does not end where its length says/],
    ['an unknown type flag', () => tarOf([{ name: 'a', type: '7', body: 'x' }]), /unsupported type flag/],
  ];
  for (const [name, make, why] of refused) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(headersOf(make()), why);
    });
  }

  it('accepts zero padding after the end marker, up to the limit', async () => {
    const tar = Buffer.concat([tarOf([{ name: 'a', body: 'x' }]), Buffer.alloc(18 * 512)]);
    assert.equal((await headersOf(tar)).length, 1);
  });
});

/** Every kind of entry, with names and targets that are not text. */
function everythingVolume(): { volume: ManifestVolume; bodies: Map<string, Buffer> } {
  const n = (...parts: (string | number[])[]) => nameFromBytes(bytes(...parts));
  const body = Buffer.from('shared inode\n');
  const bodies = new Map([[n('caf', [0xe9], '.txt'), body]]);
  const longName = n('d/', 'x'.repeat(150), [0xe9]);
  bodies.set(longName, Buffer.from('long\n'));
  const base = { size: 0, uid: 0, gid: 0, mtime: 1_700_000_000 };
  const entries: ManifestEntry[] = [
    { ...base, path: '.', type: 'dir', mode: 0o755 },
    { ...base, path: 'd', type: 'dir', mode: 0o750, uid: 3_000_000 },
    { ...base, path: n('caf', [0xe9], '.txt'), type: 'file', mode: 0o640, size: body.length, sha256: sha256(body) },
    { ...base, path: longName, type: 'file', mode: 0o644, size: 5, sha256: sha256('long\n') },
    { ...base, path: n('new\nline'), type: 'hardlink', mode: 0o640, target: n('caf', [0xe9], '.txt') },
    { ...base, path: 'fifo', type: 'fifo', mode: 0o620 },
    { ...base, path: 'null', type: 'chardev', mode: 0o666, devMajor: 1, devMinor: 3 },
    { ...base, path: 'disk', type: 'blockdev', mode: 0o660, devMajor: 8, devMinor: 1 },
    { ...base, path: 'out', type: 'symlink', mode: 0o777, target: '../../../etc/passwd' },
    { ...base, path: 'nl', type: 'symlink', mode: 0o777, target: n('a\nb', [0xff]) },
    { ...base, path: 'to-link', type: 'hardlink', mode: 0o777, target: 'nl' },
  ];
  const files = entries.filter((e) => e.type === 'file');
  return { volume: { index: 0, target: '/data', type: 'volume', source: 'v', readOnly: false, files: files.length, bytes: files.reduce((a, e) => a + e.size, 0), entries, skipped: [] }, bodies };
}

function manifestFor(volumes: ManifestVolume[], schemaVersion: 1 | 2 = 2): SnapshotManifest {
  return {
    format: 'berth-snapshot',
    schemaVersion,
    id: computeContentId(volumes, schemaVersion),
    workload: { kind: 'container', key: 'container:x', label: 'x' },
    capturedAt: '2026-01-02T03:04:05.000Z',
    quiesce: 'pause',
    label: '',
    volumes,
    skippedMounts: [],
    totals: { files: volumes.reduce((a, v) => a + v.files, 0), bytes: volumes.reduce((a, v) => a + v.bytes, 0) },
  };
}

async function writeData(file: string, manifest: SnapshotManifest, bodies: Map<string, Buffer>): Promise<void> {
  const handle = await open(file, 'w');
  const writer = new SnapshotDataWriter(handle);
  for (const v of manifest.volumes) {
    for (const e of v.entries) {
      const { sha256: _h, ...start } = e;
      writer.begin(v.index, start);
      if (e.type === 'file') writer.data(bodies.get(e.path) ?? Buffer.alloc(0));
      writer.end();
    }
  }
  await writer.finish();
  await handle.close();
}

describe('schema 2 round trip', () => {
  it('writes every entry type with byte names; the reader, GNU tar and Python read the same bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-bytes-'));
    try {
      const { volume, bodies } = everythingVolume();
      const manifest = parseManifestJson(manifestJson(manifestFor([volume])));
      assert.deepEqual(manifest.volumes[0]?.entries, volume.entries, 'the JSON form carries the bytes losslessly');
      const file = join(dir, 'data.tar.gz');
      await writeData(file, manifest, bodies);
      const read = await readSnapshotArchive(createReadStream(file), { manifest, compressedSize: (await stat(file)).size, sourceName: 'data.tar.gz', problem });
      assert.equal(read.files, 2);
      // Python reads names as bytes (surrogate escapes), GNU tar extracts them.
      const listing = execFileSync('python3', ['-c', 'import sys,tarfile\nfor m in tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):\n  print(m.name.encode("utf-8","surrogateescape").hex(), m.type.decode(), m.linkname.encode("utf-8","surrogateescape").hex(), m.devmajor, m.devminor)', file], { encoding: 'utf8' });
      const lines = listing.trim().split('\n');
      const expected = volume.entries.map((e) => {
        const path = nameToBytes(e.path === '.' ? '0/' : `0/${e.path}${e.type === 'dir' ? '/' : ''}`).toString('hex').replace(/2f$/, '');
        const flag = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' }[e.type];
        const link = e.type === 'hardlink' ? nameToBytes(`0/${e.target}`).toString('hex') : e.type === 'symlink' ? nameToBytes(e.target ?? '').toString('hex') : '';
        return `${path} ${flag} ${link} ${e.devMajor ?? 0} ${e.devMinor ?? 0}`;
      });
      assert.deepEqual(lines, expected);
      const out = join(dir, 'x');
      await mkdir(out);
      execFileSync('tar', ['-xzf', file, '-C', out]);
      const first = await stat(join(out, '0', nameToBytes('new\nline').toString()));
      assert.equal(first.nlink, 2, 'GNU tar made the hard link');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a schema-2 portable file with all of it imports, and the ID is over the bytes', async () => {
    const { volume } = everythingVolume();
    const a = manifestFor([volume]);
    const renamed = { ...volume, entries: volume.entries.map((e) => (e.path === nameFromBytes(bytes('caf', [0xe9], '.txt')) ? { ...e, path: nameFromBytes(bytes('caf', [0xe8], '.txt')) } : e)) };
    assert.notEqual(computeContentId([renamed], 2), a.id, 'one byte of a name changes the ID');
  });
});

describe('schema-2 archives that do not match their manifest are refused', () => {
  const lying: [string, (e: ManifestEntry) => ManifestEntry, RegExp][] = [
    ['a hard link to another entry than declared', (e) => (e.path === 'to-link' ? { ...e, target: 'out' } : e), /hard link "0\/to-link" links to "0\/out"/],
    ['other device numbers', (e) => (e.path === 'null' ? { ...e, devMinor: 5 } : e), /device "0\/null" is 1:5/],
    ['a FIFO where the manifest has a character device', (e) => (e.path === 'null' ? { path: 'null', type: 'fifo', size: 0, mode: e.mode, uid: 0, gid: 0, mtime: e.mtime } : e), /is a fifo in the archive but a chardev/],
    ['another symlink target (one byte)', (e) => (e.path === 'nl' ? { ...e, target: nameFromBytes(bytes('a\nb', [0xfe])) } : e), /symlink "0\/nl" points to/],
  ];
  for (const [name, change, why] of lying) {
    it(`refuses ${name}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'berth-lying-'));
      try {
        const { volume, bodies } = everythingVolume();
        const manifest = manifestFor([volume]);
        const archived = manifestFor([{ ...volume, entries: volume.entries.map(change) }]);
        const file = join(dir, 'data.tar.gz');
        await writeData(file, archived, bodies);
        await assert.rejects(readSnapshotArchive(createReadStream(file), { manifest, compressedSize: (await stat(file)).size, sourceName: 'data.tar.gz', problem }), why);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('refuses a hard link that comes before the entry it links to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-lying-'));
    try {
      const { volume, bodies } = everythingVolume();
      const manifest = manifestFor([volume]);
      const reordered = [...volume.entries];
      const link = reordered.splice(4, 1)[0] as ManifestEntry;
      reordered.splice(2, 0, link);
      const file = join(dir, 'data.tar.gz');
      await writeData(file, manifestFor([{ ...volume, entries: reordered }]), bodies);
      await assert.rejects(readSnapshotArchive(createReadStream(file), { manifest, compressedSize: (await stat(file)).size, sourceName: 'data.tar.gz', problem }), /comes before the entry it links to/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('schema 2 manifest validation', () => {
  const { volume } = everythingVolume();
  const good = () => JSON.parse(manifestJson(manifestFor([volume]))) as { volumes: { entries: Record<string, unknown>[] }[] } & Record<string, unknown>;
  const at = (m: ReturnType<typeof good>, path: string) => m.volumes[0]?.entries.find((e) => e.path === path || e.path === Buffer.from(path, 'latin1').toString('utf8')) as Record<string, unknown>;
  const broken: [string, (m: ReturnType<typeof good>) => void, RegExp][] = [
    ['pathBytes for a name that is UTF-8', (m) => Object.assign(at(m, 'fifo'), { pathBytes: Buffer.from('fifo').toString('base64') }), /only for names that are not UTF-8/],
    ['a display path that is not the bytes\' UTF-8 reading', (m) => Object.assign(at(m, 'caf\xe9.txt'), { path: 'cafe.txt' }), /UTF-8 reading/],
    ['a lone surrogate in a path', (m) => Object.assign(at(m, 'fifo'), { path: 'fi\udce9fo' }), /well-formed Unicode/],
    ['a hard link to a directory', (m) => Object.assign(at(m, 'to-link'), { target: 'd' }), /hard link/],
    ['a hard link to a later entry', (m) => { const e = at(m, 'new\nline'); delete e.targetBytes; e.target = 'nl'; }, /hard link/],
    ['a hard link with other attributes than its inode', (m) => Object.assign(at(m, 'to-link'), { mode: 0o700 }), /other attributes/],
    ['a device number out of range', (m) => Object.assign(at(m, 'null'), { devMajor: 4096 }), /devMajor/],
    ['a device without numbers', (m) => delete at(m, 'disk').devMinor, /needs "devMinor"/],
    ['a schema-1 skip kind', (m) => (m.volumes[0] as Record<string, unknown>).skipped = [{ path: 'x', kind: 'hardlink', detail: '' }], /must be one of/],
    ['an empty symlink target', (m) => Object.assign(at(m, 'out'), { target: '' }), /unusable target/],
  ];
  for (const [name, mutate, why] of broken) {
    it(`refuses ${name}`, () => {
      const m = good();
      mutate(m);
      assert.throws(() => parseManifestJson(JSON.stringify(m)), (e: unknown) => e instanceof RejectedError && why.test(e.message));
    });
  }

  it('schema 1 still refuses hard links, devices and FIFOs', () => {
    const m = good();
    m.schemaVersion = 1;
    assert.throws(() => parseManifestJson(JSON.stringify(m)), RejectedError);
  });
});

describe('the one link resolver', () => {
  const tree = (links: Record<string, string>, dirs: string[] = []) =>
    treeOfEntries([{ path: '.', type: 'dir' }, ...dirs.map((path) => ({ path, type: 'dir' })), ...Object.entries(links).map(([path, target]) => ({ path, type: 'symlink', target }))]);

  it('follows every link through the whole tree', () => {
    const t = tree({ 'a/l1': '..', l2: 'a/l1/..', up: '/data', esc: '/data/up/..', loop1: 'loop2', loop2: 'loop1', deep: 'a/l1/a/l1/a' }, ['a']);
    assert.deepEqual(resolveLink(t, 'a/l1', '..', { mountTarget: '/data' }), { inside: true, path: '.', through: [] });
    assert.deepEqual(resolveLink(t, 'l2', 'a/l1/..', { mountTarget: '/data' }), { inside: false, why: 'above-root', through: ['a/l1'] });
    assert.deepEqual(resolveLink(t, 'up', '/data', { mountTarget: '/data' }), { inside: true, path: '.', through: [] });
    assert.deepEqual(resolveLink(t, 'esc', '/data/up/..', { mountTarget: '/data' }), { inside: false, why: 'above-root', through: ['up'] });
    assert.equal(resolveLink(t, 'loop1', 'loop2').inside, false);
    assert.deepEqual(resolveLink(t, 'deep', 'a/l1/a/l1/a'), { inside: true, path: 'a', through: ['a/l1', 'a/l1'] });
    assert.deepEqual(
      linksLeaving([{ path: '.', type: 'dir' }, { path: 'a', type: 'dir' }, { path: 'a/l1', type: 'symlink', target: '..' }, { path: 'l2', type: 'symlink', target: 'a/l1/..' }], '/data').map((l) => l.path),
      ['l2'],
    );
  });

  it('capture reports links that leave only together, and keeps them as links', () => {
    const { volume } = everythingVolume();
    const chained: ManifestVolume = { ...volume, entries: [...volume.entries, { path: 'a', type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0 }, { path: 'a/l1', type: 'symlink', size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 0, target: '..' }, { path: 'l2', type: 'symlink', size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 0, target: 'a/l1/..' }] };
    const warnings = warningsOf(manifestFor([chained]));
    assert.ok(warnings.some((w) => /l2 -> a\/l1\/\.\. \(through a\/l1\)/.test(w)), warnings.join('\n'));
    assert.ok(!warnings.some((w) => /a\/l1 -> \.\./.test(w)));
  });

  it('the plugin scanner refuses the same chain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-chain-'));
    try {
      execFileSync('sh', ['-c', `cd "${dir}" && mkdir a && ln -s .. a/l1 && ln -s a/l1/.. l2 && echo '{}' > plugin.json`]);
      await assert.rejects(scanPluginFolder(dir), (e: unknown) => e instanceof RejectedError && /l2/.test(e.message) && /outside the plugin/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('what a restore refuses, verify and import refuse too', () => {
  it('a device node in a bind mount, a path longer than a restore can create', () => {
    const { volume } = everythingVolume();
    assert.equal(restoreProblem(manifestFor([volume])), undefined, 'devices in a named volume are restored');
    assert.match(restoreProblem(manifestFor([{ ...volume, type: 'bind' }]))?.message ?? '', /device node in the bind mount/);
    const deep = Array.from({ length: 20 }, (_, i) => `${'d'.repeat(200)}${i}`);
    const dirs = deep.map((_, i) => deep.slice(0, i + 1).join('/'));
    // Schema 1 allowed paths of up to 4096 bytes; a restore cannot create one of 4000 or more.
    const long: ManifestVolume = { ...volume, entries: [volume.entries[0] as ManifestEntry, ...dirs.map((path) => ({ path, type: 'dir' as const, size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0 }))], files: 0, bytes: 0 };
    assert.ok((dirs[19] ?? '').length > 4000 && (dirs[19] ?? '').length < 4096);
    assert.match(restoreProblem(manifestFor([long], 1))?.message ?? '', /longer than the 4000 bytes/);
  });

  it('import refuses a snapshot a restore would refuse, and stores nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-unrestorable-'));
    try {
      const { volume, bodies } = everythingVolume();
      const manifest = manifestFor([{ ...volume, type: 'bind' }]);
      const data = join(dir, 'data.tar.gz');
      await writeData(data, manifest, bodies);
      const file = join(dir, 'x.tar.gz');
      const head = await manifestMember(manifestJson(manifest), 0);
      writeFileSync(file, Buffer.concat([head, readFileSync(data)]));
      const store = new SnapshotStore(join(dir, 'state'));
      await assert.rejects(
        importFile(store, file, detachedContext(), async () => undefined),
        (e: unknown) => e instanceof RejectedError && /device node in the bind mount/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the engine\'s own archive (captured from the real engine: newline and non-UTF-8 names, a hard link, a FIFO, a device, links)', () => {
  it('capture keeps every entry exactly; the socket the engine left out is nowhere', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-engine-tar-'));
    try {
      const handle = await open(join(dir, 'data.tar.gz'), 'w');
      const writer = new SnapshotDataWriter(handle);
      const captured = await captureVolumeTar(Readable.from([readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'engine-archive.tar'))]), { index: 0, target: '/berth/p0/vol', nestedMounts: [], writer, signal: new AbortController().signal });
      await writer.finish();
      await handle.close();
      const byPath = new Map(captured.entries.map((e) => [e.path, e]));
      assert.deepEqual(captured.skipped, []);
      assert.equal(byPath.get(nameFromBytes(bytes('caf', [0xe9], '.txt')))?.type, 'file');
      assert.equal(byPath.get('new\nline')?.type, 'file');
      assert.deepEqual([byPath.get('h')?.type, byPath.get('h')?.target], ['hardlink', 'f']);
      assert.equal(byPath.get('fifo')?.type, 'fifo');
      assert.deepEqual([byPath.get('null')?.type, byPath.get('null')?.devMajor, byPath.get('null')?.devMinor], ['chardev', 1, 3]);
      assert.equal(byPath.get('nlt')?.target, 'a\nb');
      assert.equal(byPath.get('binlink')?.target, nameFromBytes(bytes([0xff, 0xfe])));
      assert.equal(byPath.get('abs')?.target, '/etc/passwd');
      assert.equal(byPath.has('sock'), false);
      const volume: ManifestVolume = { index: 0, target: '/berth/p0/vol', type: 'volume', source: '', readOnly: false, files: captured.files, bytes: captured.bytes, entries: captured.entries, skipped: [] };
      const manifest = parseManifestJson(manifestJson(manifestFor([volume])));
      const file = join(dir, 'data.tar.gz');
      const read = await readSnapshotArchive(createReadStream(file), { manifest, compressedSize: (await stat(file)).size, sourceName: 'data.tar.gz', problem });
      assert.equal(read.manifest.id, manifest.id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a schema-1 snapshot stored by the first release', () => {
  it('verifies, exports and imports with its own ID and schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-v1-'));
    try {
      const identity = { kind: 'container' as const, key: 'container:v1', label: 'v1' };
      installV1Snapshot(join(dir, 'a'), identity);
      const store = new SnapshotStore(join(dir, 'a'));
      const verified = await verifyObject(store, V1_ID, detachedContext());
      assert.equal(verified.ok, true, verified.failure?.message);
      const manifest = await store.readManifest(V1_ID);
      assert.equal(manifest.schemaVersion, 1);
      assert.equal(computeContentId(manifest.volumes, 1), V1_ID);
      // The fixture's record is of the first release's catalog schema: migrated as a start would.
      await migrateLegacy(store, await store.catalog.scan());
      const [record] = (await store.catalog.scan()).records;
      assert.ok(record);
      const file = join(dir, 'v1.tar.gz');
      await exportSnapshot(store, record, file, detachedContext());
      let imported: SnapshotManifest | undefined;
      await importFile(new SnapshotStore(join(dir, 'b')), file, detachedContext(), async (_temp, object) => {
        imported = object.manifest;
      });
      assert.equal(imported?.id, V1_ID);
      assert.equal(imported?.schemaVersion, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
