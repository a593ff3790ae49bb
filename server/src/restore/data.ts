// The restore's data path. Pass one reads the stored snapshot completely and checks it against
// its manifest and seal (ID, every size and hash, entry types, the volumes' order) before
// anything is written anywhere: a hostile or damaged snapshot is refused here. Pass two reads it
// again, checks it again as it goes (the file may have changed in between; its hash must still
// be the sealed one), and streams each volume, re-encoded, into the engine's extraction of that
// volume's staging directory.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import type { ManifestVolume, SnapshotManifest } from '../archive/manifest';
import { restoreProblem } from '../archive/restorable';
import { readSnapshotArchive } from '../archive/snapshotReader';
import { streamStagingTars } from '../archive/stagingTar';
import { BerthError, CancelledError, RejectedError } from '../errors';
import { OBJECT_FILES } from '../snapshots/layout';
import type { Seal, SnapshotStore } from '../snapshots/store';
import { loadSealedManifest } from '../snapshots/verify';

export interface LoadedSnapshot {
  readonly manifest: SnapshotManifest;
  readonly seal: Seal;
  readonly dataPath: string;
  readonly compressedSize: number;
}

function refused(id: string, message: string, path?: string): RejectedError {
  return new RejectedError(l10n.t('Refused to restore snapshot {0}: {1} The live data was not changed.', id.slice(0, 12), message), path ? { path, step: 'restore.verify' } : { step: 'restore.verify' });
}

/** The sealed manifest of a stored snapshot; any damage or tampering is a refusal. */
export async function loadSnapshot(store: SnapshotStore, id: string): Promise<LoadedSnapshot> {
  let loaded;
  try {
    loaded = await loadSealedManifest(store, id);
  } catch (error) {
    if (error instanceof BerthError && error.codeName !== 'NotFound' && error.codeName !== 'EngineUnreachable') {
      throw refused(id, error.message, error.extra.path);
    }
    throw error;
  }
  const unrestorable = restoreProblem(loaded.manifest);
  if (unrestorable) throw refused(id, unrestorable.message, unrestorable.path);
  const dataPath = join(store.objectDir(id), OBJECT_FILES.data);
  let size: number;
  try {
    size = (await stat(dataPath)).size;
  } catch {
    throw refused(id, l10n.t('its data file is missing from the store.'), OBJECT_FILES.data);
  }
  return { ...loaded, dataPath, compressedSize: size };
}

/** Pass one: every byte checked, nothing written. */
export async function verifySnapshotData(snapshot: LoadedSnapshot, signal: AbortSignal, onProgress: (bytes: number) => void): Promise<void> {
  const id = snapshot.manifest.id;
  let lastVolume = -1;
  let read;
  try {
    read = await readSnapshotArchive(createReadStream(snapshot.dataPath, { highWaterMark: 1024 * 1024 }), {
      signal,
      manifest: snapshot.manifest,
      compressedSize: snapshot.compressedSize,
      sourceName: OBJECT_FILES.data,
      problem: (message, path) => refused(id, message, path),
      onProgress: (bytes) => onProgress(bytes),
      visitor: {
        entry: (volume) => {
          // Pass two streams one volume after the other: interleaved volumes are refused here.
          if (volume.index < lastVolume) throw refused(id, l10n.t('the entries of volume {0} are not contiguous in the archive.', volume.index), `${volume.index}/`);
          lastVolume = volume.index;
          return undefined;
        },
      },
    });
  } catch (error) {
    if (signal.aborted) throw new CancelledError();
    throw error;
  }
  if (read.compressedSha256 !== snapshot.seal.dataSha256 || read.compressedBytes !== snapshot.seal.dataBytes) {
    throw refused(id, l10n.t('the data file does not match its seal (changed outside any file content).'), OBJECT_FILES.data);
  }
}

/** Pass two: streams each volume into `extract`, checking everything again on the way. */
export async function streamSnapshotData(
  snapshot: LoadedSnapshot,
  stagePath: (index: number) => string,
  extract: (volume: ManifestVolume, tar: Readable) => Promise<void>,
  signal: AbortSignal,
  onProgress: (bytes: number) => void,
): Promise<void> {
  const id = snapshot.manifest.id;
  const read = await streamStagingTars({
    dataPath: snapshot.dataPath,
    compressedSize: snapshot.compressedSize,
    manifest: snapshot.manifest,
    stagePath,
    extract,
    signal,
    problem: (message, path) => refused(id, message, path),
    onProgress,
  });
  if (read.compressedSha256 !== snapshot.seal.dataSha256) {
    throw refused(id, l10n.t('the data file changed while it was being restored.'), OBJECT_FILES.data);
  }
}
