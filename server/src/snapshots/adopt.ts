// Adopt: a catalog record for a stored object that has none Berth can read, made from the
// object's own manifest (workload, capture time, label, quiesce, volumes). The decision (see
// docs/snapshots.md, "Damaged records"): there is no automatic rebuild. An object without a
// readable record is listed as orphaned, and adopting it is an explicit step, because a rebuilt
// record can only carry the manifest's metadata (that of the first capture of this content),
// not the lost record's own label, time or pin, and a guess shown as the user's record would
// hide the damage. The adopted record is pinned, since the pin of the record it replaces is
// unknown: retention never removes a recovered snapshot behind the user's back.
import * as l10n from '@vscode/l10n';
import { BerthError, ConflictError, InvalidParamsError, NotFoundError, OperationFailedError } from '../errors';
import { CATALOG_SCHEMA_VERSION, manifestSummary, type CatalogRecord } from './catalog';
import { listQuarantine, markAdopted, quarantineFile } from './quarantine';
import { newRecordId } from './recordIds';
import type { SnapshotStore } from './store';
import { loadSealedManifest } from './verify';

export async function adoptObject(store: SnapshotStore, ref: string): Promise<CatalogRecord> {
  const prefix = ref.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(prefix)) throw new InvalidParamsError(l10n.t('Adopt takes the content ID of a stored snapshot (8 to 64 hex digits), not "{0}".', ref.slice(0, 80)));
  const ids = (await store.objectIds()).filter((id) => id.startsWith(prefix));
  if (ids.length === 0) throw new NotFoundError(l10n.t('The store holds no snapshot data {0}.', prefix.slice(0, 12)));
  if (ids.length > 1) throw new InvalidParamsError(l10n.t('"{0}" matches {1} stored snapshots; give more of the ID.', prefix, ids.length));
  const id = ids[0] as string;
  return store.withLock('snapshot-adopt', async () => {
    let scan = await store.catalog.scan();
    // Unreadable records of this content still in records/ (no sweep ran since) are set aside
    // now, as the sweep would: the adopted record takes their place.
    for (const u of scan.unreadable.filter((x) => x.contentId === id && !x.newer)) {
      await quarantineFile(store.layout, u.path, `snapshots/${u.relative}`, u.reason, { contentId: u.contentId, ...(u.recordId ? { recordId: u.recordId } : {}) });
    }
    scan = await store.catalog.scan();
    const owners = scan.records.filter((r) => r.id === id);
    const entries = (await listQuarantine(store.layout)).filter((e) => e.contentId === id && !e.adoptedAs && e.from.startsWith('snapshots/records/'));
    if (owners.length > 0 && entries.length === 0) {
      throw new ConflictError(l10n.t('Snapshot {0} is not orphaned: it has the record(s) {1}. There is nothing to adopt.', id.slice(0, 12), owners.map((r) => r.recordId).join(', ')));
    }
    let loaded;
    try {
      loaded = await loadSealedManifest(store, id);
    } catch (error) {
      const path = error instanceof BerthError ? error.extra.path : undefined;
      throw new OperationFailedError(l10n.t('Snapshot {0} cannot be adopted: {1} Its data is kept as it is.', id.slice(0, 12), (error as Error).message), path ? { path } : {});
    }
    const { seal, manifest } = loaded;
    const taken = new Set([...scan.records.map((r) => r.recordId), ...scan.unreadable.map((u) => u.recordId)]);
    let recordId = newRecordId(manifest.capturedAt);
    while (taken.has(recordId)) recordId = newRecordId(manifest.capturedAt);
    const record: CatalogRecord = {
      schemaVersion: CATALOG_SCHEMA_VERSION,
      recordId,
      id,
      workload: manifest.workload,
      capturedAt: manifest.capturedAt,
      label: manifest.label,
      pinned: true,
      quiesce: manifest.quiesce,
      origin: 'adopted',
      ...manifestSummary(manifest),
      storedBytes: seal.dataBytes,
    };
    await store.catalog.write(record);
    for (const e of entries) await markAdopted(store.layout, e.entry, recordId);
    return record;
  });
}
