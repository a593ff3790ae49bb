import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { VerifySnapshotResult } from '../../../protocol/src';
import { MANIFEST_FILE, parseManifestJson, type SnapshotManifest } from '../archive/manifest';
import { restoreProblem } from '../archive/restorable';
import { readSnapshotArchive } from '../archive/snapshotReader';
import { BerthError, CancelledError, OperationFailedError } from '../errors';
import type { OperationContext } from '../operation';
import { fsErrorMessage } from '../state/fsErrors';
import { formatBytes } from './format';
import { sha256Hex } from './hashing';
import { OBJECT_FILES } from './layout';
import type { Seal, SnapshotStore } from './store';

/** A stored snapshot failed a check; `extra.path` names the entry or file. */
export class VerifyFailure extends OperationFailedError {}

/**
 * Checks a stored snapshot completely: the seal binds the manifest and the data file by hash;
 * the manifest passes the same strict validation as an imported one; every entry of the data
 * matches its declaration (type, size, mode, owner, link target, device, SHA-256 of the
 * content); the ID recomputed from the content equals the stored ID; and nothing in it is what
 * a restore refuses (restorable.ts). Records the outcome for the view.
 */
export async function verifyObject(store: SnapshotStore, id: string, ctx: OperationContext): Promise<VerifySnapshotResult> {
  let result: VerifySnapshotResult;
  try {
    const checked = await checkObject(store, id, ctx);
    result = { id, ok: true, files: checked.files, bytes: checked.bytes };
  } catch (error) {
    if (error instanceof CancelledError || ctx.signal.aborted) throw new CancelledError();
    if (!(error instanceof BerthError) || error.codeName === 'EngineUnreachable') throw error;
    const path = error.extra.path;
    result = { id, ok: false, files: 0, bytes: 0, failure: { message: error.message, ...(path ? { path } : {}) } };
  }
  try {
    await store.writeVerifiedState(id, {
      state: result.ok ? 'ok' : 'failed',
      at: new Date().toISOString(),
      ...(result.failure ? { message: result.failure.message, ...(result.failure.path ? { path: result.failure.path } : {}) } : {}),
    });
  } catch (error) {
    // The record only feeds the view's "verified" column: a read-only or full state directory
    // must not turn a completed check of intact data into a failure.
    return { ...result, warnings: [l10n.t('The result could not be recorded: {0}', fsErrorMessage(error, store.stateDir))] };
  }
  return result;
}

/** Reads and checks the seal and manifest of a stored object (also used by export). */
export async function loadSealedManifest(store: SnapshotStore, id: string): Promise<{ seal: Seal; manifest: SnapshotManifest }> {
  const seal = await store.readSeal(id);
  const text = await store.readObjectFile(id, OBJECT_FILES.manifest);
  if (sha256Hex(text) !== seal.manifestSha256) {
    throw new VerifyFailure(l10n.t('manifest.json of snapshot {0} does not match its seal: it was changed or damaged.', id.slice(0, 12)), { path: MANIFEST_FILE });
  }
  let manifest: SnapshotManifest;
  try {
    manifest = parseManifestJson(text.toString('utf8'));
  } catch (error) {
    throw new VerifyFailure(l10n.t('manifest.json of snapshot {0} is invalid: {1}', id.slice(0, 12), (error as Error).message), { path: MANIFEST_FILE });
  }
  if (manifest.id !== id) throw new VerifyFailure(l10n.t('The manifest names snapshot {0}, but it is stored as {1}.', manifest.id.slice(0, 12), id.slice(0, 12)), { path: MANIFEST_FILE });
  return { seal, manifest };
}

async function checkObject(store: SnapshotStore, id: string, ctx: OperationContext): Promise<{ files: number; bytes: number }> {
  const { seal, manifest } = await loadSealedManifest(store, id);
  const dataPath = join(store.objectDir(id), OBJECT_FILES.data);
  let size: number;
  try {
    size = (await stat(dataPath)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new VerifyFailure(l10n.t('Snapshot {0} has lost its data file.', id.slice(0, 12)), { path: OBJECT_FILES.data });
  }
  let lastReport = 0;
  const read = await readSnapshotArchive(createReadStream(dataPath, { highWaterMark: 1024 * 1024 }), {
    signal: ctx.signal,
    manifest,
    sourceName: OBJECT_FILES.data,
    compressedSize: size,
    problem: (message, path) => new VerifyFailure(message, path ? { path } : {}),
    onProgress: (bytes) => {
      const now = Date.now();
      if (now - lastReport < 250) return;
      lastReport = now;
      const pct = manifest.totals.bytes > 0 ? Math.min(99, Math.round((bytes / manifest.totals.bytes) * 100)) : undefined;
      ctx.progress.report(l10n.t('Verifying {0}: {1} of {2}', id.slice(0, 12), formatBytes(bytes), formatBytes(manifest.totals.bytes)), pct);
    },
  });
  if (read.compressedSha256 !== seal.dataSha256 || read.compressedBytes !== seal.dataBytes) {
    throw new VerifyFailure(l10n.t('data.tar.gz of snapshot {0} does not match its seal: bytes were changed outside any file content.', id.slice(0, 12)), { path: OBJECT_FILES.data });
  }
  // Intact is not enough: verified means a restore would accept it (restorable.ts).
  const unrestorable = restoreProblem(manifest);
  if (unrestorable) throw new VerifyFailure(l10n.t('Snapshot {0} is intact but cannot be restored: {1}', id.slice(0, 12), unrestorable.message), { path: unrestorable.path });
  return { files: read.files, bytes: read.bytes };
}
