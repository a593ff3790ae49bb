// The commit of a capture or an import, under the store lock: the object renamed into place
// (with an intent marker while it has no record), the catalog record written, the marker
// cleared. Steps (crash seams): <op>.commit after the rename, <op>.catalog after the record.
// A crash between them leaves an object that only its dead owner's marker refers to, which the
// next sweep removes; a crash after the record leaves a stale marker, which it clears.
import type { CaptureStep, ImportStep } from '../../../protocol/src';
import { crashPoint } from '../crash';
import type { CatalogRecord } from './catalog';
import { newRecordId } from './recordIds';
import type { SnapshotStore } from './store';

export interface CommitDecision {
  readonly record: CatalogRecord;
  /** False when `record` is one the catalog already holds (nothing to write). */
  readonly write: boolean;
  readonly sameContentAs?: string | undefined;
}

export interface Committed {
  readonly record: CatalogRecord;
  /** The object was new (false: the store already held this content). */
  readonly created: boolean;
  /** A record was written (false: the catalog already held this one). */
  readonly written: boolean;
  readonly sameContentAs?: string | undefined;
}

export async function commitSnapshot(
  store: SnapshotStore,
  temp: string,
  id: string,
  workloadKey: string,
  steps: { readonly commit: CaptureStep | ImportStep; readonly catalog: CaptureStep | ImportStep },
  decide: (context: { readonly storedBytes: number; readonly records: readonly CatalogRecord[] }) => CommitDecision,
): Promise<Committed> {
  return store.withLock(`${steps.commit}`, async () => {
    const created = await store.commitObject(temp, id);
    crashPoint(steps.commit);
    const storedSeal = await store.readSeal(id);
    const scan = await store.catalog.scan(workloadKey);
    const decision = decide({ storedBytes: storedSeal.dataBytes, records: scan.records });
    let record = decision.record;
    if (decision.write) {
      // Record IDs carry 24 random bits per second of capture time; make sure of uniqueness, also
      // against files that could not be read (a write must never replace one of those).
      const taken = new Set([...scan.records.map((r) => r.recordId), ...scan.unreadable.map((u) => u.recordId)]);
      while (taken.has(record.recordId)) record = { ...record, recordId: newRecordId(record.capturedAt) };
      await store.catalog.write(record);
    }
    crashPoint(steps.catalog);
    await store.clearIntent(id);
    return { record, created, written: decision.write, sameContentAs: decision.sameContentAs };
  });
}
