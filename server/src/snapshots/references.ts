// Which stored objects something still needs. A content object is deleted only when nothing
// does: no usable record, no record that could not be read (its file name names its object), no
// quarantined record that was not adopted. When a quarantine entry does not say which object it
// needs, every object counts as needed: the store never deletes on a guess.
import type { CatalogScan } from './catalog';
import { listQuarantine } from './quarantine';
import type { SnapshotStore } from './store';

export interface References {
  /** True when `id` must be kept. */
  needs(id: string): boolean;
}

export async function references(store: SnapshotStore, scan?: CatalogScan): Promise<References> {
  const catalog = scan ?? (await store.catalog.scan());
  const needed = new Set<string>([...catalog.records.map((r) => r.id), ...catalog.unreadable.map((u) => u.contentId)]);
  let unknown = false;
  for (const path of catalog.legacy) {
    const name = path.split('/').pop() ?? '';
    needed.add(name.replace(/\.json$/, ''));
  }
  for (const entry of await listQuarantine(store.layout)) {
    if (entry.adoptedAs) continue;
    // A quarantined quiesce journal or intent marker is not a record: it needs no object.
    if (!entry.from.startsWith('snapshots/records/')) continue;
    if (entry.contentId) needed.add(entry.contentId);
    else unknown = true;
  }
  return { needs: (id) => unknown || needed.has(id) };
}
