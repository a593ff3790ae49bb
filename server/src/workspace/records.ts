import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkspaceChangedFile, WorkspaceExportMethod, WorkspaceImportMode } from '../../../protocol/src';
import { readJsonFile, writeJsonAtomic } from '../state/atomicFile';

/**
 * Durable records under `<stateDir>/workspace/`:
 * - `imports/<digest>.json`: the base commit of the last completed import into a workload's
 *   path, keyed by the workload's durable identity and the path (never the container ID). The
 *   container's own `.git/berth-base` is authoritative; this record is the second source, for a
 *   repo whose file was lost.
 * - `exports/<id>/`: a kept export for the diff view (`changes.patch`, `export.json`, and for the
 *   fallback path `base/<blob id>` files). Swept: the newest 10 stay, none older than 7 days.
 */
export interface ImportRecord {
  readonly version: 1;
  readonly identityKey: string;
  readonly path: string;
  readonly base: string;
  readonly mode: WorkspaceImportMode;
  readonly sourceDir: string;
  readonly branch?: string;
  readonly readOnly: boolean;
  readonly containerId: string;
  readonly importedAt: string;
}

export interface ExportRecord {
  readonly version: 1;
  readonly exportId: string;
  readonly createdAt: string;
  readonly identityKey: string;
  readonly containerId: string;
  readonly workload: string;
  readonly path: string;
  readonly method: WorkspaceExportMethod;
  readonly base: string;
  readonly files: readonly WorkspaceChangedFile[];
  /** Byte ranges [start, end) of each file's patch sections, aligned with `files`. */
  readonly sections: readonly (readonly [number, number])[][] | null;
}

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const EXPORT_ID = /^[0-9a-f]{24}$/;
const KEEP_EXPORTS = 10;
const MAX_EXPORT_AGE_MS = 7 * 24 * 3600 * 1000;
const PARTIAL_EXPORT_AGE_MS = 3600 * 1000;

export function importRecordPath(stateDir: string, identityKey: string, path: string): string {
  const digest = createHash('sha256').update(`${identityKey}\0${path}`).digest('hex').slice(0, 32);
  return join(stateDir, 'workspace', 'imports', `${digest}.json`);
}

export async function writeImportRecord(stateDir: string, record: ImportRecord): Promise<void> {
  const path = importRecordPath(stateDir, record.identityKey, record.path);
  await mkdir(join(path, '..'), { recursive: true });
  await writeJsonAtomic(path, record);
}

export function readImportRecord(stateDir: string, identityKey: string, path: string, onCorrupt?: (why: string) => void): Promise<ImportRecord | undefined> {
  return readJsonFile(
    importRecordPath(stateDir, identityKey, path),
    (v) => {
      const r = v as Partial<ImportRecord> | null;
      return r && r.version === 1 && r.identityKey === identityKey && r.path === path && typeof r.base === 'string' && OBJECT_ID.test(r.base) ? (r as ImportRecord) : undefined;
    },
    onCorrupt,
  );
}

export function newExportId(): string {
  return randomBytes(12).toString('hex');
}

export function exportDir(stateDir: string, exportId: string): string {
  if (!EXPORT_ID.test(exportId)) throw new Error(`invalid export id "${exportId}"`);
  return join(stateDir, 'workspace', 'exports', exportId);
}

export function isExportId(value: string): boolean {
  return EXPORT_ID.test(value);
}

export const PATCH_FILE = 'changes.patch';
const RECORD_FILE = 'export.json';

export async function writeExportRecord(stateDir: string, record: ExportRecord): Promise<void> {
  await writeJsonAtomic(join(exportDir(stateDir, record.exportId), RECORD_FILE), record);
}

export function readExportRecord(stateDir: string, exportId: string, onCorrupt?: (why: string) => void): Promise<ExportRecord | undefined> {
  return readJsonFile(
    join(exportDir(stateDir, exportId), RECORD_FILE),
    (v) => {
      const r = v as Partial<ExportRecord> | null;
      return r && r.version === 1 && r.exportId === exportId && Array.isArray(r.files) && typeof r.containerId === 'string' ? (r as ExportRecord) : undefined;
    },
    onCorrupt,
  );
}

/**
 * Keeps the newest exports and removes the rest, and removes folders an interrupted export left
 * without a record. `current` is never removed.
 */
export async function sweepExports(stateDir: string, current?: string): Promise<void> {
  const root = join(stateDir, 'workspace', 'exports');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  const now = Date.now();
  const entries: { name: string; mtime: number; complete: boolean }[] = [];
  for (const name of names) {
    if (!EXPORT_ID.test(name) || name === current) continue;
    const info = await stat(join(root, name)).catch(() => undefined);
    if (!info) continue;
    const complete = (await stat(join(root, name, RECORD_FILE)).catch(() => undefined)) !== undefined;
    entries.push({ name, mtime: info.mtimeMs, complete });
  }
  entries.sort((a, b) => b.mtime - a.mtime);
  let kept = 0;
  for (const entry of entries) {
    const age = now - entry.mtime;
    const keep = entry.complete ? kept < KEEP_EXPORTS - 1 && age < MAX_EXPORT_AGE_MS : age < PARTIAL_EXPORT_AGE_MS;
    if (keep) {
      if (entry.complete) kept++;
      continue;
    }
    await rm(join(root, entry.name), { recursive: true, force: true });
  }
}
