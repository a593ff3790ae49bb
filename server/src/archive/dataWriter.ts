import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { ManifestEntry } from './manifest';
import { ParallelGzipFile, type GzipFileResult, type ParallelGzipOptions } from './parallelGzip';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, type EncodableEntry } from './tarEncoder';

/** Metadata of an entry about to be written; `sha256` is computed from the body. */
export type EntryStart = Omit<ManifestEntry, 'sha256'>;

/**
 * Writes the data part of a snapshot (`0/…`, `1/…` entries, then the end-of-archive marker) as
 * gzip to an open file, hashing each file's body on the way, so one pass over the source yields
 * both the stored data and the manifest's per-file records.
 */
export class SnapshotDataWriter {
  private readonly gzip: ParallelGzipFile;
  private open: { entry: EntryStart; hash: Hash | undefined; seen: number } | undefined;

  constructor(handle: FileHandle, options?: ParallelGzipOptions) {
    this.gzip = new ParallelGzipFile(handle, options);
  }

  begin(volumeIndex: number, entry: EntryStart): void {
    if (this.open) throw new Error(`entry ${this.open.entry.path} is still open`);
    this.gzip.write(encodeHeader(entryHeader(String(volumeIndex), entry)));
    this.open = { entry, hash: entry.type === 'file' ? createHash('sha256') : undefined, seen: 0 };
  }

  data(chunk: Buffer): void {
    const open = this.open;
    if (!open) throw new Error('body data outside an entry');
    open.seen += chunk.length;
    if (open.seen > open.entry.size) throw new Error(`${open.entry.path} has more bytes than its header says`);
    open.hash?.update(chunk);
    this.gzip.write(chunk);
  }

  /** Closes the entry; returns its manifest record. Throws when the body was short. */
  end(): ManifestEntry {
    const open = this.open;
    if (!open) throw new Error('no open entry');
    this.open = undefined;
    if (open.seen !== open.entry.size) throw new Error(`${open.entry.path} ended after ${open.seen} of ${open.entry.size} bytes`);
    this.gzip.write(paddingFor(open.entry.size));
    return open.hash ? { ...open.entry, sha256: open.hash.digest('hex') } : { ...open.entry };
  }

  ready(): Promise<void> | undefined {
    return this.gzip.ready();
  }

  async finish(): Promise<GzipFileResult> {
    if (this.open) throw new Error(`entry ${this.open.entry.path} is still open`);
    this.gzip.write(END_OF_ARCHIVE);
    return this.gzip.finish();
  }

  abort(error: Error): void {
    this.gzip.abort(error);
  }

  settled(): Promise<void> {
    return this.gzip.settled();
  }
}

/**
 * The tar header of an entry under `root` (`<index>` in a snapshot, the staging directory in a
 * restore): `root/` for the volume root, `root/a/b` otherwise, directories with a trailing
 * slash. A hard link names the archive path of the entry it shares its inode with (tar's
 * convention); device numbers go with devices.
 */
export function entryHeader(root: string, entry: EntryStart): EncodableEntry {
  const under = (path: string, isDir: boolean) => (path === '.' ? `${root}/` : `${root}/${path}${isDir ? '/' : ''}`);
  return {
    path: under(entry.path, entry.type === 'dir'),
    type: entry.type,
    size: entry.size,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    mtime: entry.mtime,
    ...(entry.type === 'symlink' && entry.target !== undefined ? { linkpath: entry.target } : {}),
    ...(entry.type === 'hardlink' && entry.target !== undefined ? { linkpath: under(entry.target, false) } : {}),
    ...(entry.devMajor !== undefined ? { devMajor: entry.devMajor, devMinor: entry.devMinor ?? 0 } : {}),
  };
}
