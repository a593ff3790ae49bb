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
import { ID_PATTERN, OBJECT_FILES, storeLayout, type StoreLayout } from './layout';
import { currentOwner, ownerTag, type Owner } from './liveness';

/**
 * intents/<id>.json: an operation of `owner` is creating object <id> (a capture or import between
 * the rename and its record) or deleting it (a delete or retention between removing the last
 * record and the object). See commitObject and markIntent.
 */
export interface IntentMarker {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly op: 'create' | 'delete';
  readonly owner: Owner;
  readonly at: string;
}

function validMarker(value: unknown, id: string): IntentMarker | undefined {
  const m = value as Partial<IntentMarker> | null;
  const o = m?.owner as Partial<Owner> | undefined;
  if (!m || m.schemaVersion !== 1 || m.id !== id || (m.op !== 'create' && m.op !== 'delete')) return undefined;
  if (!o || typeof o.pid !== 'number' || typeof o.startTime !== 'string' || typeof o.host !== 'string') return undefined;
  return m as IntentMarker;
}

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

  /** `warn` hears about what the store found damaged (the backend's log, the CLI's stderr). */
  constructor(readonly stateDir: string, readonly warn: (why: string) => void = () => undefined) {
    this.layout = storeLayout(stateDir);
    this.catalog = new Catalog(this.layout);
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
   * Call under the store lock, and clearIntent(id) once a record refers to the object.
   *
   * Before a new object is renamed into place, an intent marker (intents/<id>.json, op `create`,
   * this process as owner) says "a capture is creating this object and has not written its
   * record yet". Intent markers are the only evidence on which the sweep deletes an object that
   * no record refers to: one whose marker's owner is dead is provably the leftover of an
   * operation that died halfway. An object without one is never deleted for lack of a record.
   */
  async commitObject(tempDir: string, id: string): Promise<boolean> {
    await fsyncDir(tempDir);
    if (await this.objectPresent(id)) {
      await rm(tempDir, { recursive: true, force: true });
      return false;
    }
    await this.markIntent(id, 'create');
    try {
      await rename(tempDir, this.objectDir(id));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      await this.clearIntent(id);
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      await rm(tempDir, { recursive: true, force: true });
      return false;
    }
    await fsyncDir(this.layout.objects);
    return true;
  }

  /** Writes the intent marker for `id` durably (under the store lock). */
  async markIntent(id: string, op: IntentMarker['op']): Promise<void> {
    await mkdir(this.layout.intents, { recursive: true, mode: 0o700 });
    const marker: IntentMarker = { schemaVersion: 1, id, op, owner: await currentOwner(), at: new Date().toISOString() };
    await writeJsonAtomic(this.intentPath(id), marker);
  }

  intentPath(id: string): string {
    return join(this.layout.intents, `${id}.json`);
  }

  async clearIntent(id: string): Promise<void> {
    await rm(this.intentPath(id), { force: true });
    await fsyncDir(this.layout.intents).catch(() => undefined);
  }

  /** Intent markers on disk: readable ones, and the paths of those that are not (never acted on). */
  async intents(): Promise<{ markers: IntentMarker[]; unreadable: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.layout.intents);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { markers: [], unreadable: [] };
      throw error;
    }
    const markers: IntentMarker[] = [];
    const unreadable: string[] = [];
    for (const name of names) {
      const match = /^([0-9a-f]{64})\.json$/.exec(name);
      if (!match) continue;
      const marker = await readJsonFile(join(this.layout.intents, name), (v) => validMarker(v, match[1] as string));
      if (marker) markers.push(marker);
      else unreadable.push(join(this.layout.intents, name));
    }
    return { markers, unreadable };
  }

  /** The object directory exists (complete by construction: it got there by one rename). */
  async objectPresent(id: string): Promise<boolean> {
    try {
      return (await stat(this.objectDir(id))).isDirectory();
    } catch {
      return false;
    }
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

  async objectsFolderPresent(): Promise<boolean> {
    try {
      return (await stat(this.layout.objects)).isDirectory();
    } catch {
      return false;
    }
  }

  async objectIds(): Promise<string[]> {
    try {
      return (await readdir(this.layout.objects)).filter((n) => ID_PATTERN.test(n));
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
