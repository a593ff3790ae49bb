// Turns a stored snapshot's data into one plain tar per volume for the engine to extract into a
// staging directory (PUT archive into the helper). Every entry has passed the snapshot reader's
// checks before its header is written here, and each file's bytes are exactly its declared size,
// so the output is bounded by the manifest. The tar is Berth's own encoding of the checked
// entries (never the stored bytes passed through):
// - paths become `<stage path>/<path>`, where the stage path is the staging directory as seen
//   from the helper's root (`berth/p0/.berth-restore-…-stage`): the engine extracts at `/`.
//   Extracting at the helper's mount of the parent instead would make the engine refuse every
//   symlink whose target, read lexically from the link, climbs above that directory ("invalid
//   symlink"); symlinks to anywhere are data a snapshot holds (a link is never followed);
// - the volume root `.` becomes the staging directory itself;
// - setuid and setgid bits are stripped; numeric owners and other mode bits are kept;
// - symlinks are held back and written after every directory, file, FIFO and device of the
//   volume, and hard links after them (a hard link may name a symlink), so nothing is ever
//   written through a link; a hard link always names an entry whose every parent is a real
//   directory of the stage.
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { ManifestEntry, ManifestVolume, SnapshotManifest } from './manifest';
import { readSnapshotArchive, type ReadSnapshotResult } from './snapshotReader';
import { entryHeader } from './dataWriter';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from './tarEncoder';

/** The permission bits a restored entry gets: the declared mode without setuid/setgid. */
export function restoredMode(mode: number): number {
  return mode & ~0o6000;
}

export interface StagingTarOptions {
  readonly dataPath: string;
  readonly compressedSize: number;
  readonly manifest: SnapshotManifest;
  /** The staging directory of each volume index, as an archive path from the extraction root. */
  readonly stagePath: (index: number) => string;
  /** Starts the engine-side extraction of one volume's tar; resolves when it has finished. */
  readonly extract: (volume: ManifestVolume, tar: Readable) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly problem: (message: string, path: string | undefined) => Error;
  readonly onProgress?: (bytes: number) => void;
}

const HIGH_WATER = 8 * 1024 * 1024;

/**
 * Reads the data once, checking everything as the snapshot reader does, and feeds each volume's
 * tar to `extract`. Rejects with the first problem after every started extraction has settled
 * (a rejected tar write may still be writing when the promise settles), so the caller may clean
 * up at once.
 */
export async function streamStagingTars(options: StagingTarOptions): Promise<ReadSnapshotResult> {
  let current: { index: number; out: PassThrough; links: ManifestEntry[]; hardlinks: ManifestEntry[]; stage: string } | undefined;
  const finished = new Set<number>();
  const extractions: Promise<void>[] = [];
  let failure: unknown;

  const fail = (error: unknown) => {
    failure ??= error;
  };

  const closeCurrent = () => {
    if (!current) return;
    for (const link of current.links) current.out.write(header(current.stage, link));
    for (const link of current.hardlinks) current.out.write(header(current.stage, link));
    current.out.end(END_OF_ARCHIVE);
    finished.add(current.index);
    current = undefined;
  };

  const open = (volume: ManifestVolume) => {
    if (current?.index === volume.index) return current;
    if (finished.has(volume.index)) throw options.problem(`the entries of volume ${volume.index} are not contiguous in the archive`, `${volume.index}/`);
    closeCurrent();
    const out = new PassThrough({ highWaterMark: HIGH_WATER });
    // A failed extraction destroys the stream; the failure is reported through `extract`.
    out.on('error', () => undefined);
    const stage = options.stagePath(volume.index);
    current = { index: volume.index, out, links: [], hardlinks: [], stage };
    const extraction = options.extract(volume, out).catch((error: unknown) => {
      fail(error);
      out.destroy(stopped());
    });
    extractions.push(extraction);
    return current;
  };

  let bytes = 0;
  let result: ReadSnapshotResult;
  try {
    result = await readSnapshotArchive(createReadStream(options.dataPath, { highWaterMark: 1024 * 1024 }), {
      ...(options.signal ? { signal: options.signal } : {}),
      manifest: options.manifest,
      compressedSize: options.compressedSize,
      sourceName: 'data.tar.gz',
      problem: options.problem,
      visitor: {
        entry: (volume, declared) => {
          if (failure !== undefined) throw failure;
          const target = open(volume);
          if (declared.type === 'symlink' || declared.type === 'hardlink') {
            (declared.type === 'symlink' ? target.links : target.hardlinks).push(declared);
            return undefined;
          }
          target.out.write(header(target.stage, declared));
          if (declared.type !== 'file') return undefined;
          return {
            data: (chunk) => {
              target.out.write(chunk);
              bytes += chunk.length;
              options.onProgress?.(bytes);
            },
            end: () => void target.out.write(paddingFor(declared.size)),
          };
        },
        ready: async () => {
          if (failure !== undefined) throw failure;
          const out = current?.out;
          if (out && out.writableLength > HIGH_WATER) {
            await new Promise<void>((resolve) => {
              const done = () => {
                out.off('drain', done);
                out.off('close', done);
                resolve();
              };
              out.once('drain', done);
              out.once('close', done);
            });
          }
          if (failure !== undefined) throw failure;
        },
      },
    });
    closeCurrent();
  } catch (error) {
    fail(error);
  }
  // Destroyed WITH an error: the engine request reading the stream is then torn down too. A
  // plain destroy would leave it waiting for the rest of the body, and the extraction unsettled.
  if (failure !== undefined) current?.out.destroy(stopped());
  // Every volume the manifest lists gets an archive, also one whose only entry is its root.
  if (failure === undefined) {
    for (const v of options.manifest.volumes) {
      if (!finished.has(v.index)) throw options.problem(`volume ${v.index} has no entries in the archive`, `${v.index}/`);
    }
  }
  await Promise.allSettled(extractions);
  if (failure !== undefined) throw failure;
  return result!;
}

function stopped(): Error {
  return Object.assign(new Error('staging stopped'), { code: 'BERTH_STAGING_STOPPED' });
}

function header(stage: string, e: ManifestEntry): Buffer {
  const { sha256: _hash, ...start } = e;
  return encodeHeader(entryHeader(stage, { ...start, mode: restoredMode(e.mode) }));
}
