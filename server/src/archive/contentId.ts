import { createHash, type Hash } from 'node:crypto';
import type { ManifestEntry, SchemaVersion, SkippedEntry } from './manifest';
import { nameToBytes } from './names';

/** What the content address covers: each volume's target and type, its entries and skips. */
export interface ContentVolume {
  readonly index: number;
  readonly target: string;
  readonly type: 'volume' | 'bind';
  readonly entries: readonly ManifestEntry[];
  readonly skipped: readonly SkippedEntry[];
}

/**
 * The snapshot ID: SHA-256 over a canonical text of the content, streamed into the hash (never
 * built whole). Capture time, label, quiesce mode, the workload, volume sources, read-only flags
 * and mtimes are metadata and stay out, so the same data gives the same ID whoever captures it
 * and whenever. Each schema has its own text (and domain line), so a stored snapshot keeps the
 * ID it was made with.
 *
 * Schema 2, per volume in index order: `volume <index> <type> <JSON target>`, then its entries
 * sorted by the bytes of their paths, each as the JSON array [hex(path bytes), type, mode, uid,
 * gid, size, sha256 or "", hex(target bytes) or "", devMajor or -1, devMinor or -1], then its
 * skipped entries as [hex(path bytes), kind]. Names enter as hex of their exact bytes, so two
 * names that differ in any byte give different IDs.
 *
 * Schema 1 (names are UTF-8 text): the same shape with the JSON strings of path and target in
 * place of hex, no device numbers, and entries sorted by the UTF-8 bytes of their paths.
 */
export function computeContentId(volumes: readonly ContentVolume[], schema: SchemaVersion): string {
  const hash = createHash('sha256');
  hash.update(schema === 1 ? 'berth-snapshot-content/1\n' : 'berth-snapshot-content/2\n');
  for (const volume of [...volumes].sort((a, b) => a.index - b.index)) {
    hash.update(`volume ${volume.index} ${volume.type} ${JSON.stringify(volume.target)}\n`);
    if (schema === 1) schema1Lines(hash, volume);
    else schema2Lines(hash, volume);
  }
  return hash.digest('hex');
}

function schema2Lines(hash: Hash, volume: ContentVolume): void {
  for (const { item: e, key } of sortedByBytes(volume.entries)) {
    const target = e.target !== undefined ? nameToBytes(e.target).toString('hex') : '';
    hash.update(`entry ${JSON.stringify([key.toString('hex'), e.type, e.mode, e.uid, e.gid, e.size, e.sha256 ?? '', target, e.devMajor ?? -1, e.devMinor ?? -1])}\n`);
  }
  for (const { item: s, key } of sortedByBytes(volume.skipped)) hash.update(`skip ${JSON.stringify([key.toString('hex'), s.kind])}\n`);
}

function schema1Lines(hash: Hash, volume: ContentVolume): void {
  for (const { item: e } of sortedByBytes(volume.entries)) {
    hash.update(`entry ${JSON.stringify([e.path, e.type, e.mode, e.uid, e.gid, e.size, e.sha256 ?? '', e.target ?? ''])}\n`);
  }
  for (const { item: s } of sortedByBytes(volume.skipped)) hash.update(`skip ${JSON.stringify([s.path, s.kind])}\n`);
}

function sortedByBytes<T extends { readonly path: string }>(items: readonly T[]): { item: T; key: Buffer }[] {
  // Byte order (not UTF-16 code units), so other implementations can reproduce it.
  const keyed = items.map((item) => ({ item, key: nameToBytes(item.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed;
}
