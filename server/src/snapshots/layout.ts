import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * Where the snapshot store keeps things under the state directory (docs/snapshots.md):
 *
 *   snapshots/objects/<id>/{manifest.json,data.tar.gz,seal.json}  complete snapshots, by content
 *   snapshots/records/<workload digest>/<record id>.<id>.json      the catalog: one record per capture
 *   snapshots/intents/<id>.json                                    an operation is creating or deleting <id>
 *   snapshots/quarantine/<stamp>-<random>/                         records that could not be read
 *   snapshots/legacy/v1/<workload digest>/<id>.json                records of catalog schema 1, migrated
 *   snapshots/verify/<id>.json                                     last verification result
 *   snapshots/quiesce/<workload digest>.json                       quiesce journal (prior state)
 *   snapshots/tmp/<owner>.<random>/                                work in progress, swept at start
 */
export interface StoreLayout {
  readonly root: string;
  readonly objects: string;
  readonly records: string;
  readonly intents: string;
  readonly quarantine: string;
  readonly legacy: string;
  readonly verify: string;
  readonly quiesce: string;
  readonly tmp: string;
}

export function storeLayout(stateDir: string): StoreLayout {
  const root = join(stateDir, 'snapshots');
  return {
    root,
    objects: join(root, 'objects'),
    records: join(root, 'records'),
    intents: join(root, 'intents'),
    quarantine: join(root, 'quarantine'),
    legacy: join(root, 'legacy', 'v1'),
    verify: join(root, 'verify'),
    quiesce: join(root, 'quiesce'),
    tmp: join(root, 'tmp'),
  };
}

/** A file-name-safe digest of a workload identity key (keys may hold `/`, `:` and more). */
export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export const OBJECT_FILES = { manifest: 'manifest.json', data: 'data.tar.gz', seal: 'seal.json' } as const;

/** A content ID: SHA-256 of the canonical content text (docs/snapshots.md, "Content ID"). */
export const ID_PATTERN = /^[0-9a-f]{64}$/;

/** The digest directories under records/ and legacy/v1/. */
export const DIGEST_PATTERN = /^[0-9a-f]{32}$/;

/**
 * A record ID: the capture's UTC time to the second, then 6 random (or, for migrated records,
 * derived) hex digits: `20260102-030405-9f3a1c`. Sorts by capture time; holds a `-`, so it can
 * never be mistaken for a content-ID prefix (hex only).
 */
export const RECORD_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

/**
 * A record's file name carries its content ID as well as its record ID, so even a record whose
 * bytes are damaged still says which object it needs: the store never deletes that object while
 * the record (or its quarantined copy) exists.
 */
export function recordFileName(recordId: string, contentId: string): string {
  return `${recordId}.${contentId}.json`;
}

export type RecordFileName =
  | { readonly kind: 'record'; readonly recordId: string; readonly contentId: string }
  | { readonly kind: 'legacy'; readonly contentId: string };

/** What a file name under records/<digest>/ is: a record, a schema-1 record, or not ours. */
export function parseRecordFileName(name: string): RecordFileName | undefined {
  const match = /^(\d{8}-\d{6}-[0-9a-f]{6})\.([0-9a-f]{64})\.json$/.exec(name);
  if (match) return { kind: 'record', recordId: match[1] as string, contentId: match[2] as string };
  const legacy = /^([0-9a-f]{64})\.json$/.exec(name);
  if (legacy) return { kind: 'legacy', contentId: legacy[1] as string };
  return undefined;
}
