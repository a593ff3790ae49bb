// The catalog: one small JSON record per (workload identity, snapshot ID), written atomically.
// One file per record means no read-modify-write of a shared index: a crash at any point leaves
// every record either fully there or not there, and two processes never overwrite each other's
// records. Records are read defensively: a damaged one is skipped and reported, never fatal.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotInfo } from '../../../protocol/src';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import { ID_PATTERN, keyDigest, type StoreLayout } from './layout';

/** A record holds what the view shows of a snapshot, less the verification state (kept apart). */
export type CatalogRecord = Omit<SnapshotInfo, 'verified'> & { readonly schemaVersion: 1 };

export class Catalog {
  constructor(
    private readonly layout: StoreLayout,
    private readonly onCorrupt: (why: string) => void = () => undefined,
  ) {}

  recordPath(key: string, id: string): string {
    return join(this.layout.records, keyDigest(key), `${id}.json`);
  }

  async read(key: string, id: string): Promise<CatalogRecord | undefined> {
    return readJsonFile(this.recordPath(key, id), validateRecord, this.onCorrupt);
  }

  /** Every record, or those of one workload; damaged records are skipped (and reported). */
  async list(key?: string): Promise<CatalogRecord[]> {
    const dirs = key !== undefined ? [keyDigest(key)] : await names(this.layout.records);
    const records: CatalogRecord[] = [];
    for (const dir of dirs) {
      for (const file of await names(join(this.layout.records, dir))) {
        if (!file.endsWith('.json') || !ID_PATTERN.test(file.slice(0, -5))) continue;
        const record = await readJsonFile(join(this.layout.records, dir, file), validateRecord, this.onCorrupt);
        if (record && keyDigest(record.workload.key) === dir && `${record.id}.json` === file) records.push(record);
      }
    }
    return records;
  }

  async write(record: CatalogRecord): Promise<void> {
    const dir = join(this.layout.records, keyDigest(record.workload.key));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await fsyncDir(this.layout.records);
    await writeJsonAtomic(join(dir, `${record.id}.json`), record);
  }

  async remove(key: string, id: string): Promise<void> {
    const path = this.recordPath(key, id);
    await rm(path, { force: true });
    await fsyncDir(join(path, '..')).catch(() => undefined);
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const QUIESCE: readonly string[] = ['pause', 'stop', 'none', 'offline'];

export function validateRecord(value: unknown): CatalogRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const w = r.workload as Record<string, unknown> | undefined;
  const okWorkload = typeof w === 'object' && w !== null && (w.kind === 'compose' || w.kind === 'container') && typeof w.key === 'string' && typeof w.label === 'string';
  const okVolumes =
    Array.isArray(r.volumes) &&
    r.volumes.every((v: unknown) => {
      const o = v as Record<string, unknown>;
      return typeof o === 'object' && o !== null && isCount(o.index) && typeof o.target === 'string' && (o.type === 'volume' || o.type === 'bind') && typeof o.source === 'string' && typeof o.readOnly === 'boolean' && isCount(o.files) && isCount(o.bytes);
    });
  if (
    r.schemaVersion !== 1 ||
    typeof r.id !== 'string' ||
    !ID_PATTERN.test(r.id) ||
    !okWorkload ||
    typeof r.capturedAt !== 'string' ||
    typeof r.firstCapturedAt !== 'string' ||
    typeof r.label !== 'string' ||
    typeof r.pinned !== 'boolean' ||
    typeof r.quiesce !== 'string' ||
    !QUIESCE.includes(r.quiesce) ||
    (r.origin !== 'capture' && r.origin !== 'import') ||
    !okVolumes ||
    !isCount(r.files) ||
    !isCount(r.bytes) ||
    !isCount(r.storedBytes) ||
    !isCount(r.skipped)
  ) {
    return undefined;
  }
  return value as CatalogRecord;
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
