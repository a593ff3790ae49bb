import type { CatalogRecord } from './catalog';
import { newestFirst } from './resolve';

/**
 * Keep-last-N for one workload, over its records (one per capture): the newest `keep` captures
 * (by capture time, then record ID) stay, and so does every pinned or labelled one, whatever its
 * age. `keep` of 0 or less keeps everything. Removing a record frees its object only when no
 * other record needs the same content (snapshotService.removeRecords).
 */
export function selectForRemoval(records: readonly CatalogRecord[], keep: number): CatalogRecord[] {
  if (!Number.isInteger(keep) || keep <= 0) return [];
  return newestFirst(records).slice(keep).filter((r) => !r.pinned && r.label === '');
}
