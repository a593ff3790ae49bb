import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { computeContentId } from '../../server/src/archive/contentId';
import { SnapshotDataWriter } from '../../server/src/archive/dataWriter';
import { parseManifestJson, validateManifest } from '../../server/src/archive/manifest';
import { resolveLink, treeOfEntries } from '../../server/src/archive/linkResolver';
import { relPathProblem, splitArchivePath } from '../../server/src/archive/paths';
import { readSnapshotArchive } from '../../server/src/archive/snapshotReader';
import { scanTar } from '../../server/src/archive/tarScanner';
import { RejectedError } from '../../server/src/errors';
import { manifestOf, portable, rawEntries, sampleVolumes, sha256 } from '../fixtures/snapshotBuilder';

const problem = (message: string, path: string | undefined) => new RejectedError(message, path ? { path } : {});

describe('snapshot paths', () => {
  it('accepts normalized relative paths and refuses everything else', () => {
    for (const ok of ['.', 'a', 'a/b/c', 'x y', 'ünï/cödé', '...', 'a..b', 'a\nb', 'caf\udce9']) assert.equal(relPathProblem(ok, 2), undefined, JSON.stringify(ok));
    for (const bad of ['', '/a', 'a/', 'a//b', './a', 'a/./b', '../a', 'a/../b', 'a/..', 'a\0b', `${'x'.repeat(256)}`, `${'x/'.repeat(2000)}x`]) {
      assert.notEqual(relPathProblem(bad, 2), undefined, JSON.stringify(bad));
    }
    // Schema 1 could not carry control characters through its line-based helper.
    assert.notEqual(relPathProblem('a\nb', 1), undefined);
    assert.equal(relPathProblem(`${'x/'.repeat(2000)}x`, 1), undefined);
  });

  it('judges symlinks the way the container resolves them, never above the volume root', () => {
    const empty = treeOfEntries([]);
    const inside = (linkPath: string, target: string) => resolveLink(empty, linkPath, target, { mountTarget: '/data' }).inside;
    assert.equal(inside('link', 'a/b'), true);
    assert.equal(inside('a/b/link', '../../c'), true);
    assert.equal(inside('a/link', '../../etc/passwd'), false);
    assert.equal(inside('link', '/data/a'), true);
    assert.equal(inside('link', '/data'), true);
    assert.equal(inside('link', '/datax/a'), false);
    assert.equal(inside('link', '/data/../etc'), false);
    assert.equal(inside('link', '/etc/passwd'), false);
  });

  it('splits archive paths into a volume index and a relative path', () => {
    assert.deepEqual(splitArchivePath('0/'), { index: 0, path: '.', trailingSlash: true });
    assert.deepEqual(splitArchivePath('12/a/b/'), { index: 12, path: 'a/b', trailingSlash: true });
    assert.deepEqual(splitArchivePath('1/f'), { index: 1, path: 'f', trailingSlash: false });
    for (const bad of ['', 'a/b', '00/x', '-1/x', '/0/x', '1e3/x', 'manifest.json']) assert.equal(splitArchivePath(bad), undefined, bad);
  });
});

describe('snapshot manifest', () => {
  it('accepts a valid manifest and returns a clean copy', () => {
    const m = manifestOf(sampleVolumes());
    const parsed = parseManifestJson(JSON.stringify(m));
    assert.deepEqual(parsed, m);
  });

  const broken: [string, (m: Record<string, unknown>) => unknown][] = [
    ['unknown top-level field', (m) => ({ ...m, extra: 1 })],
    ['unknown schema version', (m) => ({ ...m, schemaVersion: 3 })],
    ['id not hex', (m) => ({ ...m, id: 'Z'.repeat(64) })],
    ['workload key without its kind', (m) => ({ ...m, workload: { kind: 'container', key: 'compose:x/y', label: 'x' } })],
    ['relative volume target', (m) => ({ ...m, volumes: (m.volumes as object[]).map((v, i) => (i === 0 ? { ...v, target: 'data' } : v)) })],
    ['volume target "/"', (m) => ({ ...m, volumes: (m.volumes as object[]).map((v, i) => (i === 0 ? { ...v, target: '/' } : v)) })],
    ['index out of range', (m) => ({ ...m, volumes: (m.volumes as object[]).map((v, i) => (i === 1 ? { ...v, index: 7 } : v)) })],
    ['duplicate index', (m) => ({ ...m, volumes: (m.volumes as object[]).map((v) => ({ ...v, index: 0 })) })],
    ['totals that lie', (m) => ({ ...m, totals: { files: 1, bytes: 1 } })],
    ['file without sha256', (m) => withEntry(m, { path: 'x', type: 'file', size: 0, mode: 420, uid: 0, gid: 0, mtime: 0 })],
    ['dir with a size', (m) => withEntry(m, { path: 'x', type: 'dir', size: 3, mode: 493, uid: 0, gid: 0, mtime: 0 })],
    ['escaping symlink', (m) => withEntry(m, { path: 'x', type: 'symlink', size: 0, mode: 511, uid: 0, gid: 0, mtime: 0, target: '../../etc' })],
    ['child before parent', (m) => withEntry(m, { path: 'nope/x', type: 'dir', size: 0, mode: 493, uid: 0, gid: 0, mtime: 0 })],
    ['negative uid', (m) => withEntry(m, { path: 'x', type: 'dir', size: 0, mode: 493, uid: -1, gid: 0, mtime: 0 })],
    ['mode above 07777', (m) => withEntry(m, { path: 'x', type: 'dir', size: 0, mode: 0o10000, uid: 0, gid: 0, mtime: 0 })],
    ['fractional size', (m) => withEntry(m, { path: 'x', type: 'file', size: 1.5, mode: 420, uid: 0, gid: 0, mtime: 0, sha256: '0'.repeat(64) })],
  ];
  for (const [name, mutate] of broken) {
    it(`refuses a manifest with ${name}`, () => {
      const m = mutate(structuredClone(manifestOf(sampleVolumes())) as unknown as Record<string, unknown>);
      assert.throws(() => validateManifest(m), RejectedError);
    });
  }

  it('refuses __proto__ keys anywhere, even nested', () => {
    const text = JSON.stringify(manifestOf(sampleVolumes())).replace('"workload":{', '"workload":{"__proto__":{"polluted":true},');
    assert.throws(() => parseManifestJson(text), (e: unknown) => e instanceof RejectedError && /__proto__/.test(e.message));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

function withEntry(m: Record<string, unknown>, e: object): unknown {
  const volumes = m.volumes as { entries: object[] }[];
  const first = volumes[0] as { entries: object[] };
  return { ...m, volumes: [{ ...first, entries: [...first.entries, e] }, ...volumes.slice(1)] };
}

describe('content ID', () => {
  it('depends on content only: not on metadata, not on listing order', () => {
    const a = manifestOf(sampleVolumes(), { key: 'container:one', label: 'x' });
    const b = manifestOf(sampleVolumes(), { key: 'compose:p/s', label: 'other' });
    assert.equal(a.id, b.id);
    const reversed = a.volumes.map((v) => ({ ...v, entries: [...v.entries].reverse(), source: 'elsewhere', readOnly: true }));
    assert.equal(computeContentId(reversed, 1), a.id);
  });

  it('changes when any content attribute changes', () => {
    const base = manifestOf(sampleVolumes()).id;
    assert.notEqual(manifestOf(sampleVolumes('b')).id, base);
    const vols = sampleVolumes();
    const chmod = vols.map((v, i) => (i === 1 ? { ...v, entries: v.entries.map((e) => (e.path === 'app.conf' ? { ...e, mode: 0o644 } : e)) } : v));
    assert.notEqual(manifestOf(chmod).id, base);
    const retarget = vols.map((v, i) => (i === 1 ? { ...v, target: '/srv/other' } : v));
    assert.notEqual(manifestOf(retarget).id, base);
  });
});

describe('snapshot writer and reader', () => {
  it('round-trips long, non-ASCII names and big owners through PAX headers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-fmt-'));
    try {
      const long = `${'d'.repeat(120)}/ünïcødé-${'n'.repeat(150)}.txt`;
      const volumes = [{ target: '/data', entries: [{ path: '.', type: 'dir' as const }, { path: 'd'.repeat(120), type: 'dir' as const }, { path: long, type: 'file' as const, content: 'x', uid: 4_000_000, gid: 3_000_000 }, { path: 'l', type: 'symlink' as const, target: `${'d'.repeat(120)}/../${'t'.repeat(140)}` }] }];
      const manifest = manifestOf(volumes);
      const file = await writeData(dir, manifest);
      const read = await readSnapshotArchive(createReadStream(file), { manifest, compressedSize: (await stat(file)).size, sourceName: 'data.tar.gz', problem });
      assert.equal(read.files, 1);
      // Standard tools read the same names.
      const listed = execFileSync('tar', ['-tzvf', file], { encoding: 'utf8' });
      assert.match(listed, new RegExp(long.slice(-40).replace(/[.]/g, '\\.')));
      assert.match(listed, /4000000\/3000000/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts a zero-filled 256 MiB file at gzip -9, beyond tar\'s default decompression ratio (1000:1), which Berth does not use', async () => {
    const zeros = Buffer.alloc(256 * 1024 * 1024);
    const volumes = [{ target: '/data', entries: [{ path: '.', type: 'dir' as const }, { path: 'zeros.img', type: 'file' as const, content: zeros }] }];
    const manifest = manifestOf(volumes);
    const bytes = portable(manifest, rawEntries(volumes), { level: 9 });
    assert.ok(zeros.length / bytes.length > 1000, `ratio ${zeros.length / bytes.length} is above tar's default 1000`);
    const read = await readSnapshotArchive(Readable.from([bytes]), { compressedSize: bytes.length, sourceName: 'test.tar.gz', problem });
    assert.equal(read.bytes, zeros.length);
  });

  it('reads a portable file written by another tool (the hand-made encoder) the same way', async () => {
    const m = manifestOf(sampleVolumes());
    const bytes = portable(m, rawEntries(sampleVolumes()));
    const read = await readSnapshotArchive(Readable.from([bytes]), { compressedSize: bytes.length, sourceName: 'test.tar.gz', problem });
    assert.equal(read.manifest.id, m.id);
    assert.equal(read.files, 4);
  });

  it('never throws out of a parser callback: a visitor error becomes the scan\'s rejection', async () => {
    const tar = execFileSync('sh', ['-c', 'cd "$(mktemp -d)" && mkdir d && echo hi > d/f && tar -cf - d']);
    await assert.rejects(
      scanTar(Readable.from([tar]), { entry: () => { throw new Error('visitor says no'); } }, { formatError: (m) => new Error(m) }),
      /visitor says no/,
    );
  });

  it('gives every file of the writer\'s output the SHA-256 of its content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-fmt-'));
    try {
      const m = manifestOf(sampleVolumes());
      const file = await writeData(dir, m);
      const out = join(dir, 'x');
      execFileSync('sh', ['-c', `mkdir ${out} && tar -xzf ${file} -C ${out}`]);
      assert.equal(sha256(await readFile(join(out, '0/a/b/deep.txt'))), m.volumes[0]?.entries.find((e) => e.path === 'a/b/deep.txt')?.sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Writes the data part for a manifest built by manifestOf (contents from the spec, or `fill`). */
async function writeData(dir: string, manifest: ReturnType<typeof manifestOf>, fill?: Buffer): Promise<string> {
  const file = join(dir, 'data.tar.gz');
  const handle = await open(file, 'w');
  const writer = new SnapshotDataWriter(handle);
  const spec = new Map(sampleVolumes().flatMap((v, i) => v.entries.map((e) => [`${i}/${e.path}`, e] as const)));
  for (const v of manifest.volumes) {
    for (const e of v.entries) {
      const { sha256: _h, ...start } = e;
      writer.begin(v.index, start);
      if (e.type === 'file' && e.size > 0) {
        const content = fill ?? spec.get(`${v.index}/${e.path}`)?.content ?? Buffer.from('x');
        const body = typeof content === 'string' ? Buffer.from(content) : content;
        for (let off = 0; off < body.length; off += 1024 * 1024) {
          writer.data(body.subarray(off, off + 1024 * 1024));
          await writer.ready();
        }
      }
      writer.end();
    }
  }
  await writer.finish();
  await handle.close();
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return file;
}
