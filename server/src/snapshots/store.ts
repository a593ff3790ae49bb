// The content-addressed object store: complete snapshots under objects/<id>/, built in a temp
// directory and made visible by one rename. Also the store lock, temp directories and the
// per-object verification results.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { SnapshotVerifiedState } from '../../../protocol/src';
import { parseManifestJson, type SnapshotManifest } from '../archive/manifest';
import { NotFoundError, OperationFailedError } from '../errors';
import { acquireLock } from '../locks';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import { Catalog } from './catalog';
import { OBJECT_FILES, storeLayout, type StoreLayout } from './layout';
import { currentOwner, ownerTag } from './liveness';

/** Hashes that bind an object's files together; verify checks them before anything else. */
export interface Seal {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly manifestSha256: string;
  readonly dataSha256: string;
  readonly dataBytes: number;
}

/**
 * The store's short critical sections (commit, delete, pin, sweep) run under one cross-process
 * lock, so a capture committing an object and a delete removing the last record of the same ID
 * can never interleave. Captures stream without it; they take it only to commit.
 */
const STORE_LOCK_KEY = 'berth:snapshot-store';

export class SnapshotStore {
  readonly layout: StoreLayout;
  readonly catalog: Catalog;

  constructor(readonly stateDir: string, onCorrupt: (why: string) => void = () => undefined) {
    this.layout = storeLayout(stateDir);
    this.catalog = new Catalog(this.layout, onCorrupt);
  }

  async ensure(): Promise<void> {
    for (const dir of [this.layout.objects, this.layout.records, this.layout.verify, this.layout.quiesce, this.layout.tmp]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
  }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.layout.root)).isDirectory();
    } catch {
      return false;
    }
  }

  async withLock<T>(operation: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const lock = await acquireLock(this.stateDir, 'workload', STORE_LOCK_KEY, operation, { wait: true, pollMs: 25, ...(signal ? { signal } : {}) });
    try {
      return await run();
    } finally {
      await lock.release();
    }
  }

  /** A fresh temp directory named after its owner, so the sweep can tell live work from orphans. */
  async createTempDir(purpose: string): Promise<string> {
    await this.ensure();
    const dir = join(this.layout.tmp, `${ownerTag(await currentOwner())}.${purpose}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  objectDir(id: string): string {
    return join(this.layout.objects, id);
  }

  async hasObject(id: string): Promise<boolean> {
    try {
      await stat(join(this.objectDir(id), OBJECT_FILES.seal));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes a complete temp directory the object `id` with one rename (then fsyncs objects/).
   * Returns false when the object already existed: same ID, same content, one copy kept.
   */
  async commitObject(tempDir: string, id: string): Promise<boolean> {
    await fsyncDir(tempDir);
    try {
      await rename(tempDir, this.objectDir(id));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      await rm(tempDir, { recursive: true, force: true });
      return false;
    }
    await fsyncDir(this.layout.objects);
    return true;
  }

  /** Removes an object: first out of objects/ by a rename, then from disk. */
  async removeObject(id: string): Promise<void> {
    const trash = join(this.layout.tmp, `${ownerTag(await currentOwner())}.trash-${randomBytes(6).toString('hex')}`);
    try {
      await rename(this.objectDir(id), trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await fsyncDir(this.layout.objects);
    await rm(trash, { recursive: true, force: true });
    await rm(this.verifyPath(id), { force: true });
  }

  async objectIds(): Promise<string[]> {
    try {
      return (await readdir(this.layout.objects)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** The stored manifest, checked by the same strict validator as an imported one. */
  async readManifest(id: string): Promise<SnapshotManifest> {
    const text = await this.readObjectFile(id, OBJECT_FILES.manifest);
    return parseManifestJson(text.toString('utf8'));
  }

  async readSeal(id: string): Promise<Seal> {
    const raw = (await this.readObjectFile(id, OBJECT_FILES.seal)).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new OperationFailedError(l10n.t('The seal of snapshot {0} is damaged (not JSON).', id.slice(0, 12)), { path: OBJECT_FILES.seal });
    }
    const s = value as Partial<Seal>;
    if (s.schemaVersion !== 1 || s.id !== id || typeof s.manifestSha256 !== 'string' || typeof s.dataSha256 !== 'string' || typeof s.dataBytes !== 'number') {
      throw new OperationFailedError(l10n.t('The seal of snapshot {0} is damaged.', id.slice(0, 12)), { path: OBJECT_FILES.seal });
    }
    return s as Seal;
  }

  async readObjectFile(id: string, name: string): Promise<Buffer> {
    try {
      return await readFile(join(this.objectDir(id), name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotFoundError(l10n.t('Snapshot {0} has no {1} in the store.', id.slice(0, 12), name), { path: name });
      }
      throw error;
    }
  }

  verifyPath(id: string): string {
    return join(this.layout.verify, `${id}.json`);
  }

  async verifiedState(id: string): Promise<SnapshotVerifiedState> {
    const state = await readJsonFile(this.verifyPath(id), (v) => {
      const o = v as Partial<SnapshotVerifiedState> | null;
      return o && (o.state === 'ok' || o.state === 'failed') && typeof o.at === 'string' ? (o as SnapshotVerifiedState) : undefined;
    });
    return state ?? { state: 'never' };
  }

  async writeVerifiedState(id: string, state: SnapshotVerifiedState): Promise<void> {
    await mkdir(this.layout.verify, { recursive: true });
    await writeJsonAtomic(this.verifyPath(id), state);
  }
}

export { storeLayout };
