// The catalog: one small JSON record per capture, written atomically, under
// records/<workload digest>/<record id>.<content id>.json. One file per record means no
// read-modify-write of a shared index: a crash at any point leaves every record either fully
// there or not there, and two processes never overwrite each other's records. Two captures of
// the same content are two records (own time, label, quiesce, pin) that share one object.
//
// Records are read defensively, and a record that cannot be read is never taken for "no record":
// scan() returns it as unreadable, with the content ID its file name names, so nothing that
// needs its object can delete that object (docs/snapshots.md, "Damaged records").
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotInfo } from '../../../protocol/src';
import type { SnapshotManifest } from '../archive/manifest';
import { fsyncDir, writeJsonAtomic } from '../state/atomicFile';
import { requireFolder } from '../state/folderChecks';
import { DIGEST_PATTERN, ID_PATTERN, keyDigest, parseRecordFileName, RECORD_ID_PATTERN, recordFileName, type StoreLayout } from './layout';

export const CATALOG_SCHEMA_VERSION = 2;

/** A record holds what the view shows of a capture, less the verification state (kept per content). */
export type CatalogRecord = Omit<SnapshotInfo, 'verified' | 'dataMissing'> & { readonly schemaVersion: typeof CATALOG_SCHEMA_VERSION };

/** A file under records/ that looks like a record but cannot be used as one. */
export interface UnreadableRecord {
  readonly path: string;
  /** `records/<digest>/<file>`, for messages. */
  readonly relative: string;
  readonly digest: string;
  readonly file: string;
  readonly recordId?: string;
  /** The object it needs, from its file name: kept whatever the file's bytes say. */
  readonly contentId: string;
  readonly reason: string;
  /**
   * Written by a newer Berth (a higher catalog schema): not damaged, only not understood here.
   * Left in place, never quarantined.
   */
  readonly newer: boolean;
}

export interface CatalogScan {
  readonly records: CatalogRecord[];
  readonly unreadable: UnreadableRecord[];
  /** Schema-1 record files (one per workload and content) still waiting for the migration. */
  readonly legacy: string[];
}

export class Catalog {
  constructor(private readonly layout: StoreLayout) {}

  recordPath(record: Pick<CatalogRecord, 'workload' | 'recordId' | 'id'>): string {
    return join(this.layout.records, keyDigest(record.workload.key), recordFileName(record.recordId, record.id));
  }

  /** Every record file, or those of one workload, sorted into usable, unreadable and legacy. */
  async scan(key?: string): Promise<CatalogScan> {
    const scan: CatalogScan = { records: [], unreadable: [], legacy: [] };
    // A file where the records folder should be is not "no records" (every snapshot would read
    // as orphaned): it is reported, naming the file (state/fsErrors.ts).
    await requireFolder(this.layout.records);
    const dirs = key !== undefined ? [keyDigest(key)] : (await names(this.layout.records)).filter((d) => DIGEST_PATTERN.test(d));
    for (const digest of dirs) {
      for (const file of await names(join(this.layout.records, digest))) {
        const named = parseRecordFileName(file);
        if (!named) continue; // not a record: atomic-write temp files, foreign files
        const path = join(this.layout.records, digest, file);
        if (named.kind === 'legacy') {
          scan.legacy.push(path);
          continue;
        }
        const read = await readRecord(path, digest, named.recordId, named.contentId);
        if ('record' in read) scan.records.push(read.record);
        else scan.unreadable.push({ path, relative: `records/${digest}/${file}`, digest, file, recordId: named.recordId, contentId: named.contentId, reason: read.reason, newer: read.newer });
      }
    }
    return scan;
  }

  /** The usable records (of one workload); see scan() for the others. */
  async list(key?: string): Promise<CatalogRecord[]> {
    return (await this.scan(key)).records;
  }

  /** The record with this ID, if it can be read. */
  async read(key: string, recordId: string): Promise<CatalogRecord | undefined> {
    return (await this.list(key)).find((r) => r.recordId === recordId);
  }

  /** Writes (or rewrites, for a pin) a record. Callers hold the store lock. */
  async write(record: CatalogRecord): Promise<void> {
    const dir = join(this.layout.records, keyDigest(record.workload.key));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await fsyncDir(this.layout.records);
    await writeJsonAtomic(join(dir, recordFileName(record.recordId, record.id)), record);
  }

  async remove(record: Pick<CatalogRecord, 'workload' | 'recordId' | 'id'>): Promise<void> {
    const path = this.recordPath(record);
    await rm(path, { force: true });
    await fsyncDir(join(path, '..')).catch(() => undefined);
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

async function readRecord(path: string, digest: string, recordId: string, contentId: string): Promise<{ record: CatalogRecord } | { reason: string; newer: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { reason: `cannot be read: ${(error as Error).message}`, newer: false };
  }
  let value: unknown;
  try {
    value = JSON.parse(text, (k, v: unknown) => (k === '__proto__' || k === 'constructor' || k === 'prototype' ? undefined : v));
  } catch (error) {
    return { reason: `not valid JSON: ${(error as Error).message}`, newer: false };
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && Number.isInteger(version) && version > CATALOG_SCHEMA_VERSION) {
    return { reason: `written by a newer Berth (catalog schema ${version})`, newer: true };
  }
  const problem = recordProblem(value);
  if (problem) return { reason: problem, newer: false };
  const record = value as CatalogRecord;
  if (record.recordId !== recordId || record.id !== contentId) return { reason: 'its IDs do not match its file name', newer: false };
  if (keyDigest(record.workload.key) !== digest) return { reason: 'it is filed under another workload', newer: false };
  return { record };
}

const QUIESCE: readonly string[] = ['pause', 'stop', 'none', 'offline'];
const ORIGINS: readonly string[] = ['capture', 'import', 'adopted'];

/** What is wrong with a value as a record of this schema, or undefined when nothing is. */
export function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  const w = r.workload as Record<string, unknown> | undefined;
  const checks: [boolean, string][] = [
    [r.schemaVersion === CATALOG_SCHEMA_VERSION, 'schemaVersion'],
    [typeof r.recordId === 'string' && RECORD_ID_PATTERN.test(r.recordId), 'recordId'],
    [typeof r.id === 'string' && ID_PATTERN.test(r.id), 'id'],
    [typeof w === 'object' && w !== null && (w.kind === 'compose' || w.kind === 'container') && typeof w.key === 'string' && typeof w.label === 'string', 'workload'],
    [typeof r.capturedAt === 'string' && Number.isFinite(Date.parse(r.capturedAt)), 'capturedAt'],
    [typeof r.label === 'string', 'label'],
    [typeof r.pinned === 'boolean', 'pinned'],
    [typeof r.quiesce === 'string' && QUIESCE.includes(r.quiesce), 'quiesce'],
    [typeof r.origin === 'string' && ORIGINS.includes(r.origin), 'origin'],
    [r.restoreId === undefined || (typeof r.restoreId === 'string' && /^[0-9a-f]{16}$/.test(r.restoreId)), 'restoreId'],
    [r.set === undefined || isSetRef(r.set), 'set'],
    [r.schedule === undefined || (typeof r.schedule === 'string' && SCHEDULE_ID_PATTERN.test(r.schedule)), 'schedule'],
    [Array.isArray(r.volumes) && r.volumes.every(isVolumeSummary), 'volumes'],
    [isCount(r.files) && isCount(r.bytes) && isCount(r.storedBytes) && isCount(r.skipped), 'counts'],
  ];
  const bad = checks.filter(([ok]) => !ok).map(([, field]) => field);
  return bad.length > 0 ? `wrong or missing ${bad.join(', ')}` : undefined;
}

/** A set's ID: `set-` and a record ID (time to the second, 6 hex digits). */
export const SET_ID_PATTERN = /^set-\d{8}-\d{6}-[0-9a-f]{6}$/;
/** A schedule's ID: 12 hex digits of the hash of its target and cron expression. */
export const SCHEDULE_ID_PATTERN = /^[0-9a-f]{12}$/;

function isSetRef(v: unknown): boolean {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' && o !== null && typeof o.id === 'string' && SET_ID_PATTERN.test(o.id) && typeof o.project === 'string' && o.project !== '' &&
    typeof o.service === 'string' && o.service !== '' && typeof o.members === 'number' && Number.isSafeInteger(o.members) && o.members >= 1 && o.members <= 1000
  );
}

function isVolumeSummary(v: unknown): boolean {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && isCount(o.index) && typeof o.target === 'string' && (o.type === 'volume' || o.type === 'bind') && typeof o.source === 'string' && typeof o.readOnly === 'boolean' && isCount(o.files) && isCount(o.bytes);
}

export function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The record fields a manifest determines (volume summaries, totals, skipped count). The one
 * place that reads a manifest's volume and skip lists for the catalog, so capture, import, adopt
 * and the migration agree.
 */
export function manifestSummary(manifest: SnapshotManifest): Pick<CatalogRecord, 'volumes' | 'files' | 'bytes' | 'skipped'> {
  const volumes = manifest.volumes.map((v) => ({ index: v.index, target: v.target, type: v.type, source: v.source, readOnly: v.readOnly, files: v.files, bytes: v.bytes }));
  const skipped = (manifest.skippedMounts?.length ?? 0) + manifest.volumes.reduce((n, v) => n + (v.skipped?.length ?? 0), 0);
  return { volumes, files: manifest.totals.files, bytes: manifest.totals.bytes, skipped };
}
