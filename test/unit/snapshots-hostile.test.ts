// Hostile imports: each crafted file must be refused (exit 5, an error naming the entry) before
// anything is stored: the store's tree, including every directory's mtime, is identical before
// and after.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { entry, gz, header, paxRecord, tarOf, type RawEntry } from '../fixtures/craftTar';
import { manifestOf, manifestRaw, portable, rawEntries, sampleVolumes, sha256, storeSnapshot, type SpecVolume } from '../fixtures/snapshotBuilder';

const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/berth-test.sock' };

interface Case {
  readonly name: string;
  /** The file's bytes (or a special path). */
  readonly make: () => Buffer | { path: string };
  /** What the error must name (entry path), when the case has one. */
  readonly path?: string | RegExp;
}

const volumes = sampleVolumes();
const good = manifestOf(volumes);
const entries = rawEntries(volumes);
const m = () => structuredClone(good) as unknown as Record<string, unknown> & { volumes: Record<string, unknown>[] };

function replaceEntry(name: string, change: (e: RawEntry) => RawEntry | RawEntry[]): RawEntry[] {
  return entries.flatMap((e) => (e.name === name ? change(e) : [e]));
}

/** A manifest + matching entries for one extra volume-0 entry (to test archive-side checks). */
function withExtra(extra: SpecVolume['entries'][number]): { manifest: ReturnType<typeof manifestOf>; entries: RawEntry[] } {
  const v = [{ ...volumes[0], entries: [...(volumes[0]?.entries ?? []), extra] } as SpecVolume, volumes[1] as SpecVolume];
  return { manifest: manifestOf(v), entries: rawEntries(v) };
}

const cases: Case[] = [
  { name: 'not gzip at all (a plain tar)', make: () => tarOf([manifestRaw(good), ...entries]), path: /\.tar\.gz$/ },
  { name: 'truncated gzip', make: () => { const b = portable(good, entries); return b.subarray(0, Math.floor(b.length * 0.6)); } },
  { name: 'corrupt gzip (flipped byte in the deflate stream)', make: () => { const b = Buffer.from(portable(good, entries)); b[Math.floor(b.length / 2)] = (b[Math.floor(b.length / 2)] as number) ^ 0x55; return b; } },
  { name: 'gzip CRC mismatch', make: () => { const b = Buffer.from(portable(good, entries)); b[b.length - 6] = (b[b.length - 6] as number) ^ 1; return b; } },
  { name: 'bytes after the end of the gzip stream', make: () => Buffer.concat([portable(good, entries), Buffer.alloc(4096)]) },
  { name: 'nested gzip (a gzip of a gzip)', make: () => gzipSync(portable(good, entries)) },
  { name: 'manifest not first', make: () => gz(tarOf([...entries.slice(0, 1), manifestRaw(good), ...entries.slice(1)])), path: '0/' },
  { name: 'no manifest at all', make: () => gz(tarOf(entries)), path: '0/' },
  { name: 'manifest that is not JSON', make: () => portable('{"format": "berth-snapshot",', entries), path: 'manifest.json' },
  { name: 'manifest with a __proto__ key', make: () => portable(JSON.stringify(good).replace('{"format"', '{"__proto__":{"isAdmin":true},"format"'), entries), path: 'manifest.json' },
  { name: 'manifest with an unknown field', make: () => portable({ ...m(), hooks: ['rm -rf /'] }, entries), path: 'manifest.json' },
  { name: 'manifest of another schema version', make: () => portable({ ...m(), schemaVersion: 99 }, entries), path: 'manifest.json' },
  { name: 'volume index out of range', make: () => { const x = m(); (x.volumes[1] as Record<string, unknown>).index = 9; return portable(x, entries); }, path: 'manifest.json' },
  { name: 'duplicate volume index', make: () => { const x = m(); (x.volumes[1] as Record<string, unknown>).index = 0; return portable(x, entries); }, path: 'manifest.json' },
  { name: 'path-like volume target (relative, with ..)', make: () => { const x = m(); (x.volumes[0] as Record<string, unknown>).target = '../../etc'; return portable(x, entries); }, path: 'manifest.json' },
  { name: 'manifest entry with a ".." path', make: () => { const x = m(); ((x.volumes[0] as { entries: Record<string, unknown>[] }).entries[3] as Record<string, unknown>).path = 'a/../../../etc/passwd'; return portable(x, entries); }, path: /^0\/a\/\.\.\// },
  { name: 'manifest larger than the limit', make: () => gz(Buffer.concat([header({ name: 'manifest.json', size: 65 * 1024 * 1024 }), Buffer.alloc(512)])), path: 'manifest.json' },
  { name: 'manifest declaring far more data than the file can hold (bomb)', make: () => { const v = [{ target: '/data', entries: [{ path: '.', type: 'dir' as const }, { path: 'huge', type: 'file' as const, content: 'x' }] }]; const x = manifestOf(v) as unknown as Record<string, unknown> & { volumes: { entries: Record<string, unknown>[]; bytes: number }[]; totals: { bytes: number } }; const huge = 2 ** 40; (x.volumes[0]?.entries[1] as Record<string, unknown>).size = huge; (x.volumes[0] as { bytes: number }).bytes = huge; x.totals.bytes = huge; return portable(x, rawEntries(v)); }, path: 'manifest.json' },
  { name: 'decompression bomb: thousands of PAX headers the manifest does not account for', make: () => { const pax = entry({ name: 'PaxHeader/x', type: 'x', body: paxRecord('comment', 'z'.repeat(400)) }); return portable(good, [...Array.from({ length: 20_000 }, () => pax), ...entries]); } },
  { name: 'absolute path', make: () => portable(good, [...entries, { name: '/etc/cron.d/evil', body: 'x' }]), path: '/etc/cron.d/evil' },
  { name: '".." path', make: () => portable(good, [...entries, { name: '0/../../../root/.ssh/authorized_keys', body: 'x' }]), path: '0/../../../root/.ssh/authorized_keys' },
  { name: 'GNU long name hiding a ".." path', make: () => { const evil = `0/${'a/'.repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../etc/x`; return portable(good, [...entries, { name: '././@LongLink', type: 'L', body: `${evil}\0` }, { name: 'short', body: 'x' }]); }, path: /\.\.\/etc\/x$/ },
  { name: 'symlink escaping by an absolute target', make: () => { const x = withExtra({ path: 'escape', type: 'symlink', target: '/etc/shadow' }); return portable(x.manifest, x.entries); }, path: '0/escape' },
  { name: 'symlink escaping by a relative target', make: () => { const x = withExtra({ path: 'a/escape', type: 'symlink', target: '../../../../etc' }); return portable(x.manifest, x.entries); }, path: '0/a/escape' },
  { name: 'schema-1 symlinks that escape only together (a/l1 -> .., l2 -> a/l1/..)', make: () => { const v = [{ ...volumes[0], entries: [...(volumes[0]?.entries ?? []), { path: 'a/l1', type: 'symlink' as const, target: '..' }, { path: 'l2', type: 'symlink' as const, target: 'a/l1/..' }] } as SpecVolume, volumes[1] as SpecVolume]; return portable(manifestOf(v), rawEntries(v)); }, path: '0/l2' },
  { name: 'schema-1 absolute symlinks that escape only together (up -> /data, esc -> /data/up/..)', make: () => { const v = [{ ...volumes[0], entries: [...(volumes[0]?.entries ?? []), { path: 'up', type: 'symlink' as const, target: '/data' }, { path: 'esc', type: 'symlink' as const, target: '/data/up/..' }] } as SpecVolume, volumes[1] as SpecVolume]; return portable(manifestOf(v), rawEntries(v)); }, path: '0/esc' },
  { name: 'symlink whose archive target differs from the manifest', make: () => portable(good, replaceEntry('0/link', (e) => ({ ...e, linkname: '../../../etc/passwd' }))), path: '0/link' },
  { name: 'hard link', make: () => portable(good, [...entries, { name: '0/hard', type: '1', linkname: '0/a/b/deep.txt' }]), path: '0/hard' },
  { name: 'character device', make: () => portable(good, [...entries, { name: '0/null', type: '3' }]), path: '0/null' },
  { name: 'FIFO', make: () => portable(good, [...entries, { name: '0/fifo', type: '6' }]), path: '0/fifo' },
  { name: 'size mismatch', make: () => portable(good, replaceEntry('0/zero', (e) => ({ ...e, body: 'not empty' }))), path: '0/zero' },
  { name: 'content that does not match its hash', make: () => portable(good, replaceEntry('0/a/b/deep.txt', (e) => ({ ...e, body: 'DEEP a\n' }))), path: '0/a/b/deep.txt' },
  { name: 'mode mismatch (setuid smuggled in)', make: () => portable(good, replaceEntry('0/blob.bin', (e) => ({ ...e, mode: 0o4755 }))), path: '0/blob.bin' },
  { name: 'owner mismatch', make: () => portable(good, replaceEntry('0/blob.bin', (e) => ({ ...e, uid: 0, gid: 0, ...(e.uid === 0 ? { uid: 1 } : {}) }))), path: '0/blob.bin' },
  { name: 'type mismatch (a directory where the manifest has a file)', make: () => portable(good, replaceEntry('0/zero', (e) => ({ ...e, name: '0/zero/', type: '5', body: undefined }))), path: '0/zero/' },
  { name: 'entry not declared in the manifest', make: () => portable(good, [...entries, { name: '0/surprise.sh', body: '#!/bin/sh\n' }]), path: '0/surprise.sh' },
  { name: 'entry of a volume the manifest does not list', make: () => portable(good, [...entries, { name: '7/x', body: 'x' }]), path: '7/x' },
  { name: 'declared entry missing from the archive', make: () => portable(good, entries.filter((e) => e.name !== '0/a/b/deep.txt')), path: '0/a/b/deep.txt' },
  { name: 'duplicate entry', make: () => portable(good, [...entries, entries.find((e) => e.name === '0/zero') as RawEntry]), path: '0/zero' },
  { name: 'entry before its parent directory', make: () => { const reordered = [...entries]; const deep = reordered.findIndex((e) => e.name === '0/a/b/deep.txt'); const [d] = reordered.splice(deep, 1); reordered.splice(1, 0, d as RawEntry); return portable(good, reordered); }, path: '0/a/b/deep.txt' },
  { name: 'trailing PAX global header (after the last entry, before the end marker)', make: () => portable(good, [...entries, { name: 'pax_global_header', type: 'g', body: paxRecord('comment', 'trailing') }]) },
  { name: 'PAX global header that would change paths', make: () => portable(good, [{ name: 'pax_global_header', type: 'g', body: paxRecord('path', '/etc/passwd') }, ...entries]), path: 'manifest.json' },
  { name: 'manifest.json twice', make: () => portable(good, [...entries.slice(0, 3), manifestRaw({ ...m(), label: 'second' }), ...entries.slice(3)]), path: 'manifest.json' },
  { name: 'header with a bad checksum', make: () => portable(good, replaceEntry('0/zero', (e) => ({ ...e, badChecksum: true }))) },
  { name: 'archive without its end-of-archive marker', make: () => portable(good, entries, { end: false }) },
  { name: 'ID that does not match the content', make: () => portable({ ...m(), id: sha256('something else') }, entries), path: 'manifest.json' },
  { name: 'regular file with a trailing slash', make: () => portable(good, replaceEntry('0/zero', (e) => ({ ...e, name: '0/zero/' }))), path: '0/zero/' },
  { name: 'a directory given as the file to import', make: () => ({ path: tmpdir() }) },
  { name: 'a FIFO given as the file to import', make: () => ({ path: '/dev/stdin' }) },
];

describe('hostile imports are refused before anything is stored', () => {
  let root: string;
  let state: string;
  let tree: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-hostile-'));
    state = join(root, 'state');
    await mkdir(state);
    // A store that already holds a snapshot, so "unchanged" is about a real tree.
    await storeSnapshot(new SnapshotStore(state), sampleVolumes('existing'), { key: 'container:existing' });
    tree = await treeOf(join(state, 'snapshots'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it(`has at least 25 crafted cases (${cases.length})`, () => {
    assert.ok(cases.length >= 25);
  });

  it('accepts the untampered file (the cases differ from it only in what they break)', async () => {
    const scratch = join(root, 'control');
    await mkdir(scratch);
    const file = join(root, 'control.tar.gz');
    await writeFile(file, portable(good, entries));
    const out: string[] = [];
    const code = await runCli(['snapshots', 'import', file, '--json'], { out: (t) => out.push(t), err: () => undefined }, { ...NO_ENGINE, BERTH_STATE_DIR: scratch });
    assert.equal(code, ExitCodes.Ok, out.join('\n'));
  });

  for (const [i, c] of cases.entries()) {
    it(`refuses ${c.name}`, async (t) => {
      const made = c.make();
      let file: string;
      if (Buffer.isBuffer(made)) {
        file = join(root, `case-${i}.tar.gz`);
        await writeFile(file, made);
      } else {
        file = made.path;
      }
      const out: string[] = [];
      const code = await runCli(['snapshots', 'import', file, '--json'], { out: (t) => out.push(t), err: () => undefined }, { ...NO_ENGINE, BERTH_STATE_DIR: state });
      const doc = JSON.parse(out.join('\n')) as { error?: { name: string; message: string; path?: string } };
      assert.equal(code, ExitCodes.Rejected, `exit code (${out.join('\n')})`);
      t.diagnostic(`${doc.error?.path ?? '-'}: ${doc.error?.message ?? ''}`);
      assert.equal(doc.error?.name, 'Rejected');
      assert.ok(doc.error?.path, `the error names an entry: ${doc.error?.message}`);
      if (typeof c.path === 'string') assert.equal(doc.error?.path, c.path, doc.error?.message);
      else if (c.path) assert.match(doc.error?.path ?? '', c.path, doc.error?.message);
      assert.equal(await treeOf(join(state, 'snapshots')), tree, 'the store is unchanged');
    });
  }
});

/** Every path under a directory with its type, size, mode, mtime and content hash. */
async function treeOf(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (d: string, rel: string) => {
    const info = await lstat(d);
    lines.push(`${rel} ${info.isDirectory() ? 'd' : 'f'} ${info.mode.toString(8)} ${info.mtimeMs} ${info.isFile() ? `${info.size} ${createHash('sha256').update(await readFile(d)).digest('hex')}` : ''}`);
    if (info.isDirectory()) for (const name of (await readdir(d)).sort()) await walk(join(d, name), `${rel}/${name}`);
  };
  await walk(dir, '.');
  return lines.join('\n');
}
