import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Header, Pax } from 'tar';
import { scanTar } from './tarScanner';

/** One entry to pack, already validated by the caller (see install/source.ts). */
export interface PackEntry {
  readonly path: string;
  readonly type: 'dir' | 'file' | 'symlink';
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly target?: string;
}

export interface PackOptions {
  /** A directory every entry goes under (its own entry comes first), e.g. `<name>.<stamp>`. */
  readonly prefix?: string;
  /** A small file written after every entry; its arrival proves the archive is complete. */
  readonly trailer: { readonly path: string; readonly content: string };
  /** When aborted, the stream ends at once without the trailer or the end-of-archive blocks. */
  readonly signal?: AbortSignal;
  /** Called with the content bytes packed so far. */
  readonly onProgress?: (bytes: number) => void;
}

/** A file changed between the check and the packing, or could not be read. */
export class PackError extends Error {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PackError';
  }
}

const BLOCK = 512;
const CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(BLOCK * 2);
const SMALL_FILE = 256 * 1024;

/**
 * Packs validated entries of `folder` as a tar stream, read lazily with back-pressure: the
 * plugin is never held in memory. Entries carry uid/gid 0 and no user names (ownership is
 * decided at extraction), the given permission bits only, and PAX headers for long paths.
 * Files are opened with O_NOFOLLOW and must still be regular files of the checked size, so a
 * file swapped for a symlink after the check is refused rather than followed.
 */
export function packPluginFolder(folder: string, entries: readonly PackEntry[], options: PackOptions): Readable {
  return Readable.from(coalesce(generate(folder, entries, options)), { objectMode: false, highWaterMark: CHUNK });
}

/**
 * Joins the many small pieces (a 512-byte header, a few KiB of file) into writes of about
 * 64 KiB: every write to an exec's stdin crosses the engine and the runtime's pipe, so a
 * plugin of small files would otherwise pay that hop a few hundred times.
 */
async function* coalesce(pieces: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const piece of pieces) {
    pending.push(piece);
    size += piece.length;
    if (size >= CHUNK) {
      yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pending, size);
}

async function* generate(folder: string, entries: readonly PackEntry[], options: PackOptions): AsyncGenerator<Buffer> {
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const aborted = () => options.signal?.aborted === true;
  let done = 0;
  if (prefix) yield header({ path: prefix, type: 'dir', mode: 0o755, size: 0, mtime: new Date() });
  for (const entry of entries) {
    if (aborted()) return;
    const path = `${prefix}${entry.path}${entry.type === 'dir' ? '/' : ''}`;
    yield header({ ...entry, path });
    if (entry.type !== 'file' || entry.size === 0) continue;
    const abs = join(folder, entry.path);
    if (entry.size <= SMALL_FILE) {
      // Small files are read synchronously: four thread-pool round trips per file (open, stat,
      // read, close) cost far more than the microseconds these reads block the event loop.
      yield readSmallFile(abs, entry.size);
      done += entry.size;
      options.onProgress?.(done);
      continue;
    }
    let handle;
    try {
      handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      throw new PackError(`cannot open ${abs}: ${(error as Error).message}`, abs, { cause: error });
    }
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size !== entry.size) {
        throw new PackError(`${abs} changed while it was being installed (it is no longer the checked file of ${entry.size} bytes)`, abs);
      }
      let left = entry.size;
      while (left > 0) {
        if (aborted()) return;
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK, left));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) throw new PackError(`${abs} became shorter while it was being installed`, abs);
        left -= bytesRead;
        done += bytesRead;
        yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
        options.onProgress?.(done);
      }
    } finally {
      await handle.close();
    }
    const pad = entry.size % BLOCK;
    if (pad !== 0) yield Buffer.alloc(BLOCK - pad);
  }
  if (aborted()) return;
  const trailer = Buffer.from(`${options.trailer.content}\n`, 'utf8');
  yield header({ path: `${prefix}${options.trailer.path}`, type: 'file', mode: 0o644, size: trailer.length, mtime: new Date() });
  yield Buffer.concat([trailer, Buffer.alloc((BLOCK - (trailer.length % BLOCK)) % BLOCK)]);
  yield ZEROS;
}

/** Reads a whole small file with O_NOFOLLOW, padded to the tar block size. */
function readSmallFile(abs: string, size: number): Buffer {
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new PackError(`cannot open ${abs}: ${(error as Error).message}`, abs, { cause: error });
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size !== size) {
      throw new PackError(`${abs} changed while it was being installed (it is no longer the checked file of ${size} bytes)`, abs);
    }
    const padded = Buffer.alloc(Math.ceil(size / BLOCK) * BLOCK);
    let offset = 0;
    while (offset < size) {
      const n = readSync(fd, padded, offset, size - offset, null);
      if (n === 0) throw new PackError(`${abs} became shorter while it was being installed`, abs);
      offset += n;
    }
    return padded;
  } finally {
    closeSync(fd);
  }
}

function header(entry: PackEntry): Buffer {
  const type = entry.type === 'dir' ? 'Directory' : entry.type === 'symlink' ? 'SymbolicLink' : 'File';
  const h = new Header({
    path: entry.path,
    mode: entry.mode,
    uid: 0,
    gid: 0,
    size: entry.type === 'file' ? entry.size : 0,
    mtime: entry.mtime,
    type,
    ...(entry.target !== undefined ? { linkpath: entry.target } : {}),
    uname: '',
    gname: '',
  });
  const needPax = h.encode();
  const block = h.block as Buffer;
  if (!needPax) return block;
  const pax = new Pax({ path: entry.path, mtime: entry.mtime, ...(entry.target !== undefined ? { linkpath: entry.target } : {}) }).encode();
  return Buffer.concat([pax, block]);
}

export interface ArchiveEntryInfo {
  /** The path inside the archive, without a trailing slash. */
  readonly path: string;
  readonly type: 'dir' | 'file' | 'symlink' | 'other';
  /** The content of entries `wantContent` asked for, cut at `maxContentBytes`. */
  readonly content?: string;
}

/**
 * Reads an archive's entry list as it streams (for containers without a shell, whose plugin
 * root is read through the engine's archive API). Content is kept only for the few small
 * entries asked for; everything else is skipped, never buffered. Read through tarScanner, the
 * one reader of tar in Berth, so names arrive as their bytes and the archive is held to the
 * same rules as every other.
 */
export async function readArchiveEntries(
  stream: Readable,
  wantContent: (path: string) => boolean,
  maxContentBytes = 4096,
): Promise<ArchiveEntryInfo[]> {
  const found: ArchiveEntryInfo[] = [];
  await scanTar(
    stream,
    {
      entry: (entry) => {
        const path = entry.path.replace(/\/+$/, '');
        const type = entry.kind === 'dir' || entry.kind === 'file' || entry.kind === 'symlink' ? entry.kind : 'other';
        if (type !== 'file' || !wantContent(path)) {
          found.push({ path, type });
          return undefined;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        return {
          data: (chunk) => {
            if (size < maxContentBytes) chunks.push(Buffer.from(chunk.subarray(0, maxContentBytes - size)));
            size += chunk.length;
          },
          end: () => void found.push({ path, type, content: Buffer.concat(chunks).toString('utf8') }),
        };
      },
    },
    { formatError: (message, path) => new Error(path === undefined ? message : `${message} (${path})`) },
  );
  return found;
}
