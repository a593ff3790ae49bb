// The CLI's schedules: <state>/schedules/schedules.json, edited by `berth schedule add|remove`
// under a lock, written atomically (temp, fsync, rename, fsync the folder). A file that cannot be
// read is never overwritten: add and remove refuse, naming it, and list and run report it. An
// entry Berth cannot run stays in the file as written (and is reported), so nothing the user
// wrote is dropped.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { ScheduleEntry } from '../../../protocol/src';
import { echo } from '../echo';
import { ConflictError, NotFoundError, OperationFailedError } from '../errors';
import { acquireLock } from '../locks';
import { readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import { scheduleId } from './entry';

/** An entry as the file stores it: as written, plus when it was added. */
export interface FileEntry {
  readonly value: unknown;
  /** ISO time `schedule add` wrote it: its slots count from then (the first is not missed). */
  readonly createdAt?: string;
}

interface SchedulesFile {
  readonly schemaVersion: 1;
  readonly schedules: readonly unknown[];
}

const FILE_LOCK = 'berth:schedules-file';

export function schedulesDir(stateDir: string): string {
  return join(stateDir, 'schedules');
}

export function schedulesFile(stateDir: string): string {
  return join(schedulesDir(stateDir), 'schedules.json');
}

/** The file's entries, in order; throws OperationFailed naming the file when it cannot be read. */
export async function readScheduleFile(stateDir: string): Promise<FileEntry[]> {
  const path = schedulesFile(stateDir);
  let damaged: string | undefined;
  const file = await readJsonFile<SchedulesFile>(path, validFile, (why) => (damaged = why));
  if (damaged !== undefined) {
    throw new OperationFailedError(l10n.t('The schedules file {0} cannot be read ({1}). Berth leaves it as it is: fix it or move it aside.', echo(path), damaged), { path });
  }
  return (file?.schedules ?? []).map((value) => {
    const createdAt = (value as { createdAt?: unknown } | null)?.createdAt;
    return { value: stripCreatedAt(value), ...(typeof createdAt === 'string' && Number.isFinite(Date.parse(createdAt)) ? { createdAt } : {}) };
  });
}

/** Adds an entry (checked by the caller); Conflict when one with the same identity is there. */
export async function addScheduleEntry(stateDir: string, entry: ScheduleEntry, now: number): Promise<{ index: number; id: string }> {
  return withFile(stateDir, 'schedule-add', async (entries) => {
    const id = scheduleId(entry.target, entry.cron);
    const same = entries.findIndex((e) => idOf(e.value) === id);
    if (same >= 0) throw new ConflictError(l10n.t('{0} is already scheduled at "{1}" (schedule {2}).', echo(entry.target), entry.cron, same + 1));
    return { next: [...entries, { value: entry, createdAt: new Date(now).toISOString() }], result: { index: entries.length + 1, id } };
  });
}

/** Removes the entry with this number (1-based, as `schedule list` shows) or identity. */
export async function removeScheduleEntry(stateDir: string, which: string): Promise<{ removed: unknown; id: string | undefined }> {
  return withFile(stateDir, 'schedule-remove', async (entries) => {
    const byNumber = /^\d{1,6}$/.test(which) ? Number(which) - 1 : -1;
    const index = byNumber >= 0 && byNumber < entries.length ? byNumber : entries.findIndex((e) => idOf(e.value) === which);
    if (index < 0) throw new NotFoundError(l10n.t('No schedule {0} in {1}. Run "berth schedule list" to see their numbers.', echo(which), schedulesFile(stateDir)));
    const removed = entries[index] as FileEntry;
    return { next: entries.filter((_, i) => i !== index), result: { removed: removed.value, id: idOf(removed.value) } };
  });
}

async function withFile<T>(stateDir: string, operation: string, change: (entries: FileEntry[]) => Promise<{ next: FileEntry[]; result: T }>): Promise<T> {
  const lock = await acquireLock(stateDir, 'workload', FILE_LOCK, operation, { wait: true, signal: AbortSignal.timeout(30_000) });
  try {
    const entries = await readScheduleFile(stateDir);
    const { next, result } = await change(entries);
    await mkdir(schedulesDir(stateDir), { recursive: true, mode: 0o700 });
    const file: SchedulesFile = { schemaVersion: 1, schedules: next.map((e) => (e.createdAt ? { ...(e.value as object), createdAt: e.createdAt } : e.value)) };
    await writeJsonAtomic(schedulesFile(stateDir), file);
    return result;
  } finally {
    await lock.release();
  }
}

function validFile(value: unknown): SchedulesFile | undefined {
  const v = value as Partial<SchedulesFile> | null;
  return v && v.schemaVersion === 1 && Array.isArray(v.schedules) ? (v as SchedulesFile) : undefined;
}

function stripCreatedAt(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { createdAt: _createdAt, ...rest } = value as Record<string, unknown>;
  return rest;
}

function idOf(value: unknown): string | undefined {
  const v = value as { target?: unknown; cron?: unknown } | null;
  return typeof v?.target === 'string' && typeof v.cron === 'string' ? scheduleId(v.target, v.cron) : undefined;
}
