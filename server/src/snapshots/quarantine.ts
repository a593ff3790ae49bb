// Quarantine: where a catalog record that cannot be read goes instead of being deleted or taken
// for "no record". Each entry is a folder snapshots/quarantine/<stamp>-<random>/ holding the file
// as it was (moved by one rename, never rewritten) and reason.json saying where it came from and
// why. Nothing in Berth ever deletes an entry; adopting its object marks it `adopted.json`.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import { ID_PATTERN, parseRecordFileName, type StoreLayout } from './layout';

export const REASON_FILE = 'reason.json';
export const ADOPTED_FILE = 'adopted.json';

export interface QuarantineReason {
  readonly schemaVersion: 1;
  /** Where the file was, relative to the state directory. */
  readonly from: string;
  readonly reason: string;
  readonly at: string;
  readonly contentId?: string;
  readonly recordId?: string;
}

export interface QuarantineEntry {
  readonly entry: string;
  readonly from: string;
  readonly reason: string;
  readonly at: string;
  /** The object the quarantined record needs; undefined when no file in the entry names one. */
  readonly contentId?: string;
  readonly recordId?: string;
  /** Set once `adopt` made a record for its object. */
  readonly adoptedAs?: string;
}

/**
 * Moves `path` (a file under records/) into a new quarantine entry and writes why. The rename
 * comes first: a crash before reason.json is written leaves an entry whose reason is unknown,
 * never a lost file.
 */
export async function quarantineFile(layout: StoreLayout, path: string, from: string, reason: string, ids: { contentId?: string; recordId?: string }): Promise<string> {
  const at = new Date().toISOString();
  const entry = `${at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
  const dir = join(layout.quarantine, entry);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = from.split('/').pop() ?? 'record.json';
  await rename(path, join(dir, file));
  await fsyncDir(join(path, '..'));
  await fsyncDir(dir);
  const text: QuarantineReason = { schemaVersion: 1, from, reason, at, ...ids };
  await writeJsonAtomic(join(dir, REASON_FILE), text);
  await fsyncDir(layout.quarantine);
  return entry;
}

/** Every quarantine entry, oldest first. Reads defensively: an entry is listed whatever is damaged in it. */
export async function listQuarantine(layout: StoreLayout): Promise<QuarantineEntry[]> {
  let entries: string[];
  try {
    entries = (await readdir(layout.quarantine)).sort();
  } catch {
    return [];
  }
  const out: QuarantineEntry[] = [];
  for (const entry of entries) {
    const dir = join(layout.quarantine, entry);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const reason = await readJsonFile(join(dir, REASON_FILE), validReason);
    const files = await readdir(dir).catch(() => [] as string[]);
    const named = files.map(parseRecordFileName).find((n) => n !== undefined);
    const adopted = await readJsonFile(join(dir, ADOPTED_FILE), (v) => {
      const o = v as { recordId?: unknown } | null;
      return o && typeof o.recordId === 'string' ? o.recordId : undefined;
    });
    const contentId = named?.contentId ?? reason?.contentId;
    const recordId = named?.kind === 'record' ? named.recordId : reason?.recordId;
    out.push({
      entry,
      from: reason?.from ?? (named ? files.find((f) => parseRecordFileName(f)) ?? '' : ''),
      reason: reason?.reason ?? 'unknown (the quarantine was interrupted before its reason was written)',
      at: reason?.at ?? info.mtime.toISOString(),
      ...(contentId ? { contentId } : {}),
      ...(recordId ? { recordId } : {}),
      ...(adopted ? { adoptedAs: adopted } : {}),
    });
  }
  return out;
}

/** Notes on an entry that its object got a record again (the entry itself stays). */
export async function markAdopted(layout: StoreLayout, entry: string, recordId: string): Promise<void> {
  await writeJsonAtomic(join(layout.quarantine, entry, ADOPTED_FILE), { recordId, at: new Date().toISOString() });
}

function validReason(value: unknown): QuarantineReason | undefined {
  const r = value as Partial<QuarantineReason> | null;
  if (!r || typeof r.from !== 'string' || typeof r.reason !== 'string' || typeof r.at !== 'string') return undefined;
  return {
    schemaVersion: 1,
    from: r.from,
    reason: r.reason,
    at: r.at,
    ...(typeof r.contentId === 'string' && ID_PATTERN.test(r.contentId) ? { contentId: r.contentId } : {}),
    ...(typeof r.recordId === 'string' ? { recordId: r.recordId } : {}),
  };
}
