// Migration of catalog schema 1 (one record per workload and content, records/<digest>/<id>.json)
// to per-capture records (schema 2). Schema 1 collapsed captures of the same content into one
// record whose time moved and whose label a later capture replaced; the object's manifest still
// holds the first capture's time and label. Each schema-1 record becomes:
//   - one record for the latest capture, with exactly what the old record showed (time, label,
//     pin, quiesce, origin);
//   - when it stood for more than one capture (firstCapturedAt ≠ capturedAt), one more for the
//     first capture at firstCapturedAt, with the label and quiesce of the object's manifest when
//     that manifest is this workload's first capture (so "before-upgrade", overwritten by
//     "nightly", is back), else no label. Both keep the old record's pin: nothing pinned stops
//     being pinned.
// Steps, per schema-1 file, under the store lock: catalog.migrate.records (the new records
// written, each only if no record of that ID exists yet: their IDs are derived from the old
// record, so a rerun after a kill writes the same names, never copies), then
// catalog.migrate.legacy (the old file renamed into legacy/v1/, kept, never deleted). A file that
// cannot be read is quarantined like any unreadable record; its object stays.
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { crashPoint } from '../crash';
import { fsyncDir } from '../state/atomicFile';
import { CATALOG_SCHEMA_VERSION, isCount, type CatalogRecord, type CatalogScan } from './catalog';
import { keyDigest, RECORD_ID_PATTERN } from './layout';
import { quarantineFile } from './quarantine';
import { derivedRecordId } from './recordIds';
import type { SnapshotStore } from './store';

interface V1Record {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly workload: CatalogRecord['workload'];
  readonly capturedAt: string;
  readonly firstCapturedAt: string;
  readonly label: string;
  readonly pinned: boolean;
  readonly quiesce: CatalogRecord['quiesce'];
  readonly origin: 'capture' | 'import';
  readonly volumes: CatalogRecord['volumes'];
  readonly files: number;
  readonly bytes: number;
  readonly storedBytes: number;
  readonly skipped: number;
}

export interface MigrationOutcome {
  /** Schema-1 files migrated (moved to legacy/v1/ after their records were written). */
  migrated: number;
  /** Record IDs written. */
  readonly written: string[];
  /** Quarantine entries of schema-1 files that could not be read. */
  readonly quarantined: string[];
}

/** The records a schema-1 file stands for, or why it cannot be read. */
export async function planLegacy(store: SnapshotStore, path: string): Promise<{ records: CatalogRecord[] } | { reason: string }> {
  const digest = path.split('/').slice(-2, -1)[0] ?? '';
  const contentId = (path.split('/').pop() ?? '').replace(/\.json$/, '');
  let old: V1Record;
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'), (k, v: unknown) => (k === '__proto__' || k === 'constructor' || k === 'prototype' ? undefined : v));
    const problem = v1Problem(value);
    if (problem) return { reason: l10n.t('a schema-1 record with {0}', problem) };
    old = value as V1Record;
  } catch (error) {
    return { reason: l10n.t('a schema-1 record that is not valid JSON: {0}', (error as Error).message) };
  }
  if (old.id !== contentId) return { reason: l10n.t('a schema-1 record whose ID does not match its file name') };
  if (keyDigest(old.workload.key) !== digest) return { reason: l10n.t('a schema-1 record filed under another workload') };
  const common = {
    schemaVersion: CATALOG_SCHEMA_VERSION,
    id: old.id,
    workload: old.workload,
    pinned: old.pinned,
    origin: old.origin,
    volumes: old.volumes,
    files: old.files,
    bytes: old.bytes,
    storedBytes: old.storedBytes,
    skipped: old.skipped,
  } as const;
  const records: CatalogRecord[] = [
    { ...common, recordId: derivedRecordId(old.capturedAt, 'v1', old.workload.key, old.id, 'latest'), capturedAt: old.capturedAt, label: old.label, quiesce: old.quiesce },
  ];
  if (old.firstCapturedAt !== old.capturedAt) {
    // The manifest is the first capture's only if this workload made it, at firstCapturedAt.
    const manifest = await store.readManifest(old.id).catch(() => undefined);
    const own = manifest && manifest.workload.key === old.workload.key && manifest.capturedAt === old.firstCapturedAt ? manifest : undefined;
    records.push({
      ...common,
      recordId: derivedRecordId(old.firstCapturedAt, 'v1', old.workload.key, old.id, 'first'),
      capturedAt: old.firstCapturedAt,
      label: own?.label ?? '',
      quiesce: own?.quiesce ?? old.quiesce,
    });
  }
  return { records };
}

/** Migrates every schema-1 file the scan found. Call under the store lock. Idempotent. */
export async function migrateLegacy(store: SnapshotStore, scan: CatalogScan): Promise<MigrationOutcome> {
  const outcome: MigrationOutcome = { migrated: 0, written: [], quarantined: [] };
  for (const path of scan.legacy) {
    if (!(await exists(path))) continue; // another process migrated it meanwhile
    const digest = path.split('/').slice(-2, -1)[0] ?? '';
    const file = path.split('/').pop() ?? '';
    const plan = await planLegacy(store, path);
    if ('reason' in plan) {
      outcome.quarantined.push(await quarantineFile(store.layout, path, `snapshots/records/${digest}/${file}`, plan.reason, { contentId: file.replace(/\.json$/, '') }));
      continue;
    }
    const present = await recordIdsIn(join(store.layout.records, digest));
    for (const record of plan.records) {
      if (present.has(record.recordId)) continue;
      await store.catalog.write(record);
      outcome.written.push(record.recordId);
    }
    crashPoint('catalog.migrate.records');
    await keepLegacy(store, path, digest, file);
    crashPoint('catalog.migrate.legacy');
    outcome.migrated++;
  }
  return outcome;
}

/** Renames a migrated schema-1 file into legacy/v1/<digest>/, never over another file. */
async function keepLegacy(store: SnapshotStore, path: string, digest: string, file: string): Promise<void> {
  const dir = join(store.layout.legacy, digest);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let target = join(dir, file);
  for (let n = 1; await exists(target); n++) target = join(dir, `${file.replace(/\.json$/, '')}.${n}.json`);
  await rename(path, target);
  await fsyncDir(dir);
  await fsyncDir(join(path, '..'));
}

async function recordIdsIn(dir: string): Promise<Set<string>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return new Set(names.map((n) => n.split('.')[0] ?? '').filter((id) => RECORD_ID_PATTERN.test(id)));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

const QUIESCE: readonly string[] = ['pause', 'stop', 'none', 'offline'];

function v1Problem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'no JSON object';
  const r = value as Record<string, unknown>;
  const w = r.workload as Record<string, unknown> | undefined;
  const okWorkload = typeof w === 'object' && w !== null && (w.kind === 'compose' || w.kind === 'container') && typeof w.key === 'string' && typeof w.label === 'string';
  const okVolumes =
    Array.isArray(r.volumes) &&
    r.volumes.every((v: unknown) => {
      const o = v as Record<string, unknown> | null;
      return typeof o === 'object' && o !== null && isCount(o.index) && typeof o.target === 'string' && (o.type === 'volume' || o.type === 'bind') && typeof o.source === 'string' && typeof o.readOnly === 'boolean' && isCount(o.files) && isCount(o.bytes);
    });
  const checks: [boolean, string][] = [
    [r.schemaVersion === 1, 'schemaVersion'],
    [typeof r.id === 'string' && /^[0-9a-f]{64}$/.test(r.id), 'id'],
    [okWorkload, 'workload'],
    [typeof r.capturedAt === 'string' && Number.isFinite(Date.parse(r.capturedAt)), 'capturedAt'],
    [typeof r.firstCapturedAt === 'string' && Number.isFinite(Date.parse(r.firstCapturedAt)), 'firstCapturedAt'],
    [typeof r.label === 'string', 'label'],
    [typeof r.pinned === 'boolean', 'pinned'],
    [typeof r.quiesce === 'string' && QUIESCE.includes(r.quiesce), 'quiesce'],
    [r.origin === 'capture' || r.origin === 'import', 'origin'],
    [okVolumes, 'volumes'],
    [isCount(r.files) && isCount(r.bytes) && isCount(r.storedBytes) && isCount(r.skipped), 'counts'],
  ];
  const bad = checks.filter(([ok]) => !ok).map(([, f]) => f);
  return bad.length > 0 ? `wrong or missing ${bad.join(', ')}` : undefined;
}

/**
 * The catalog as the operations see it: migrated first when schema-1 files are found. When the
 * migration cannot write (a read-only state directory), the planned records are shown as they
 * will be written, so listing, verify and restore still work; nothing is changed then.
 */
export async function loadCatalog(store: SnapshotStore, key?: string): Promise<CatalogScan> {
  const scan = await store.catalog.scan(key);
  if (scan.legacy.length === 0) return scan;
  try {
    await store.withLock('catalog-migration', async () => migrateLegacy(store, await store.catalog.scan()));
    return await store.catalog.scan(key);
  } catch (error) {
    store.warn(l10n.t('The snapshot catalog could not be migrated to per-capture records ({0}); showing the old records as they will be migrated.', (error as Error).message));
    const records = [...scan.records];
    for (const path of scan.legacy) {
      const plan = await planLegacy(store, path);
      if ('reason' in plan) continue;
      for (const r of plan.records) if (!records.some((x) => x.recordId === r.recordId && x.workload.key === r.workload.key)) records.push(r);
    }
    return { ...scan, records };
  }
}
