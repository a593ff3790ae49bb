// Record IDs: one per capture, ordered by capture time (docs/snapshots.md, "The catalog").
import { createHash, randomBytes } from 'node:crypto';

function stamp(iso: string): string {
  const time = Date.parse(iso);
  const date = new Date(Number.isFinite(time) ? time : 0).toISOString();
  // 2026-01-02T03:04:05.678Z → 20260102-030405
  return `${date.slice(0, 4)}${date.slice(5, 7)}${date.slice(8, 10)}-${date.slice(11, 13)}${date.slice(14, 16)}${date.slice(17, 19)}`;
}

/** A fresh record ID for a capture taken at `capturedAt`. */
export function newRecordId(capturedAt: string): string {
  return `${stamp(capturedAt)}-${randomBytes(3).toString('hex')}`;
}

/**
 * The same ID every time for the same inputs: a migration that is killed and run again writes
 * the records it already wrote under the same names instead of adding copies.
 */
export function derivedRecordId(capturedAt: string, ...parts: readonly string[]): string {
  return `${stamp(capturedAt)}-${createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 6)}`;
}

/** A fresh ID for a project snapshot set taken at `at` (catalog.ts, SET_ID_PATTERN). */
export function newSetId(at: string): string {
  return `set-${newRecordId(at)}`;
}
