import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * Where the snapshot store keeps things under the state directory (docs/snapshots.md):
 *
 *   snapshots/objects/<id>/{manifest.json,data.tar.gz,seal.json}  complete snapshots, by content
 *   snapshots/records/<workload digest>/<id>.json                  the catalog, by workload identity
 *   snapshots/verify/<id>.json                                     last verification result
 *   snapshots/quiesce/<workload digest>.json                       quiesce journal (prior state)
 *   snapshots/tmp/<owner>.<random>/                                work in progress, swept at start
 */
export interface StoreLayout {
  readonly root: string;
  readonly objects: string;
  readonly records: string;
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

export const ID_PATTERN = /^[0-9a-f]{64}$/;
