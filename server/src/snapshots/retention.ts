import type { CatalogRecord } from './catalog';

/**
 * Keep-last-N for one workload: the newest `keep` snapshots (by capture time) stay, and so does
 * every pinned or labelled one, whatever its age. `keep` of 0 or less keeps everything.
 */
export function selectForRemoval(records: readonly CatalogRecord[], keep: number): CatalogRecord[] {
  if (!Number.isInteger(keep) || keep <= 0) return [];
  const newestFirst = [...records].sort((a, b) => (a.capturedAt === b.capturedAt ? (a.id < b.id ? -1 : 1) : a.capturedAt < b.capturedAt ? 1 : -1));
  return newestFirst.slice(keep).filter((r) => !r.pinned && r.label === '');
}
