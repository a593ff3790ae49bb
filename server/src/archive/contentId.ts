import { createHash } from 'node:crypto';
import type { ManifestEntry, SkippedEntry } from './manifest';

/** What the content address covers: each volume's target and type, its entries and skips. */
export interface ContentVolume {
  readonly index: number;
  readonly target: string;
  readonly type: 'volume' | 'bind';
  readonly entries: readonly ManifestEntry[];
  readonly skipped: readonly SkippedEntry[];
}

const ID_DOMAIN = 'berth-snapshot-content/1\n';

/**
 * The snapshot ID: SHA-256 over a canonical text of the content. Per volume (in index order)
 * its index, type and target; then its entries sorted by the UTF-8 bytes of their paths, each
 * as [path, type, mode, uid, gid, size, sha256 or "", link target or ""]; then its skipped
 * entries as [path, kind]. Capture time, label, quiesce mode, the workload, volume sources,
 * read-only flags and mtimes are metadata and stay out, so the same data gives the same ID
 * whoever captures it and whenever. The text is streamed into the hash, never built whole.
 */
export function computeContentId(volumes: readonly ContentVolume[]): string {
  const hash = createHash('sha256');
  hash.update(ID_DOMAIN);
  for (const volume of [...volumes].sort((a, b) => a.index - b.index)) {
    hash.update(`volume ${volume.index} ${volume.type} ${JSON.stringify(volume.target)}\n`);
    for (const e of sortedByPath(volume.entries)) {
      hash.update(`entry ${JSON.stringify([e.path, e.type, e.mode, e.uid, e.gid, e.size, e.sha256 ?? '', e.target ?? ''])}\n`);
    }
    for (const s of sortedByPath(volume.skipped)) {
      hash.update(`skip ${JSON.stringify([s.path, s.kind])}\n`);
    }
  }
  return hash.digest('hex');
}

function sortedByPath<T extends { readonly path: string }>(items: readonly T[]): T[] {
  // Byte order of UTF-8 (not UTF-16 code units), so other implementations can reproduce it.
  const keyed = items.map((item) => ({ item, key: Buffer.from(item.path, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((k) => k.item);
}
