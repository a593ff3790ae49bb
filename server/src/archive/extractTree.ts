import { chmod, link, lstat, mkdir, open, symlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { displayName, isUtf8, nameToBytes } from './names';
import { scanTar, type BodySink, type TarEntryHeader } from './tarScanner';

/** An archive entry that would escape the target or that Berth refuses to create. */
export class UnsafeEntryError extends Error {
  readonly code = 'BERTH_UNSAFE_ENTRY';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'UnsafeEntryError';
  }
}

/**
 * A name or link target that is not UTF-8. This machine's tools get such a copy through string
 * paths, which cannot hold the exact bytes: written anyway, the file would arrive under another
 * name and the patch would show a different file. So the whole copy is refused.
 */
export class UnsupportedNameError extends Error {
  readonly code = 'BERTH_UNSUPPORTED_NAME';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'UnsupportedNameError';
  }
}

/** The extraction did not produce what the archive declared, or the archive is malformed. */
export class IncompleteExtractionError extends Error {
  readonly code = 'BERTH_EXTRACT_INCOMPLETE';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'IncompleteExtractionError';
  }
}

export interface ExtractTreeOptions {
  /** Leading path components to drop (the engine puts the folder's own name, or `.`, first). */
  readonly strip: number;
  readonly signal?: AbortSignal;
  /** Bytes of archive read so far. */
  readonly onProgress?: (bytes: number) => void;
}

export interface ExtractTreeResult {
  readonly files: number;
  readonly directories: number;
  readonly symlinks: number;
  readonly bytes: number;
  /** Device files and FIFOs: never created; git does not track them either. */
  readonly skipped: readonly string[];
}

/**
 * Extracts a tar stream from an untrusted source (a container) into `dest` on the host, as a
 * plain copy to read: no owners, no setuid/setgid/sticky bits, every file readable and writable
 * by us, and nothing outside `dest`. The archive is read by tarScanner (Berth's one tar reader,
 * so this copy sees exactly the entries every other check of Berth would see) and every file is
 * written here, by us:
 *
 * - Absolute paths, `..` parts, a name the archive holds twice and a hard link to anything but a
 *   file earlier in the archive refuse the whole archive (UnsafeEntryError); so does a name or
 *   link target that is not UTF-8 (UnsupportedNameError), which the string paths of this
 *   machine's tools could only carry as another name.
 * - Symbolic links are created verbatim after every other entry, so no entry can be written
 *   through one, and an absolute target stays as it was (a link into the container's own
 *   tree is data, not a path on this machine); a link whose parent folder is a link is refused.
 * - Files are created with O_EXCL (never through anything already there) and each one's size
 *   is checked against its header afterwards: a full disk can end a write short without the
 *   writer noticing, and a copy that lacks data must never pass for a complete one.
 * - File-system work runs in archive order on one queue that the reader waits for after each
 *   chunk of input, so memory stays bounded by a chunk, and when the archive is refused no write
 *   is still in flight once this returns: the caller's removal of `dest` is final.
 */
export async function extractTree(source: Readable, dest: string, options: ExtractTreeOptions): Promise<ExtractTreeResult> {
  await mkdir(dest, { recursive: true });
  const sizes = new Map<string, number>();
  const links: { path: string; target: string }[] = [];
  const skipped: string[] = [];
  /** Every path an entry named (a name twice would replace, or go through, what came first). */
  const names = new Set<string>();
  let directories = 0;
  let bytes = 0;
  let queue: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(async () => {
      if (failure) return;
      try {
        await work();
      } catch (error) {
        failure ??= fsFailure(error);
      }
    });
  };
  const at = (path: string) => join(dest, path);

  const visit = (header: TarEntryHeader): BodySink | undefined => {
    const path = relativePath(header.path, options.strip);
    if (path === undefined) return undefined;
    if (names.has(path)) throw new UnsafeEntryError(`The archive holds ${displayName(path)} twice.`, path);
    names.add(path);
    switch (header.kind) {
      case 'dir':
        directories++;
        enqueue(() => makeDirectory(at(path), (header.mode & 0o755) | 0o700));
        return undefined;
      case 'file':
        sizes.set(path, header.size);
        return fileSink(at(path), (header.mode & 0o755) | 0o600, enqueue);
      case 'hardlink': {
        const target = relativePath(header.linkpath ?? '', options.strip);
        const size = target === undefined ? undefined : sizes.get(target);
        if (target === undefined || size === undefined) {
          throw new UnsafeEntryError(`The hard link ${displayName(header.path)} points at ${displayName(header.linkpath ?? '')}, which is not a file earlier in the archive.`, header.path);
        }
        sizes.set(path, size);
        enqueue(async () => {
          await mkdir(at(parentOf(path)), { recursive: true, mode: 0o755 });
          await link(at(target), at(path));
        });
        return undefined;
      }
      case 'symlink': {
        const target = header.linkpath ?? '';
        if (!isUtf8(nameToBytes(target))) throw unsupported(`The symbolic link ${displayName(header.path)} points at ${displayName(target)}`, header.path);
        links.push({ path, target });
        return undefined;
      }
      case 'chardev':
      case 'blockdev':
      case 'fifo':
        skipped.push(path);
        return undefined;
    }
  };

  try {
    await scanTar(
      source,
      {
        entry: visit,
        ready: async () => {
          await queue;
          if (failure) throw failure;
        },
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        formatError: (message, path) => new IncompleteExtractionError(`The archive is malformed or cut short: ${message}.`, path ?? dest),
        onProgress: (read) => {
          bytes = read;
          options.onProgress?.(read);
        },
      },
    );
    await queue;
    if (failure) throw failure;
  } finally {
    // Whatever ended the scan, no write of ours is still in flight after this.
    await queue;
  }

  for (const link of links) await createLink(dest, link.path, link.target);
  for (const [path, size] of sizes) {
    const info = await lstat(at(path)).catch(() => undefined);
    if (!info?.isFile() || info.size !== size) {
      throw new IncompleteExtractionError(`${displayName(path)} came out ${info ? `${info.size} bytes` : 'missing'} instead of ${size} bytes (is the disk full?).`, path);
    }
  }
  return { files: sizes.size, directories, symlinks: links.length, bytes, skipped };
}

/** A file's body: created when its header arrives, written chunk by chunk, closed at its end. */
function fileSink(path: string, mode: number, enqueue: (work: () => Promise<void>) => void): BodySink {
  let handle: FileHandle | undefined;
  enqueue(async () => {
    await mkdir(parentOf(path), { recursive: true, mode: 0o755 });
    handle = await open(path, 'wx', mode);
  });
  // A body of 0 bytes gets no data() call, only end().
  return {
    data(chunk) {
      enqueue(async () => {
        let done = 0;
        // A write may be short (a full disk): loop until every byte is written or it fails.
        while (done < chunk.length) {
          const { bytesWritten } = await (handle as FileHandle).write(chunk, done, chunk.length - done);
          if (bytesWritten <= 0) throw new IncompleteExtractionError(`Writing ${displayName(path)} stopped short (is the disk full?).`, path);
          done += bytesWritten;
        }
      });
    },
    end() {
      enqueue(async () => {
        await handle?.close();
        handle = undefined;
      });
    },
  };
}

async function makeDirectory(path: string, mode: number): Promise<void> {
  try {
    await mkdir(path, { mode });
  } catch (error) {
    const info = (error as NodeJS.ErrnoException).code === 'EEXIST' ? await lstat(path) : undefined;
    if (!info) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        await mkdir(parentOf(path), { recursive: true, mode: 0o755 });
        await mkdir(path, { mode });
        return;
      }
      throw error;
    }
    // Made earlier as the parent of an entry listed before it: give it its own mode.
    if (!info.isDirectory()) throw new UnsafeEntryError(`The archive holds ${displayName(path)} as a folder and as something else.`, path);
    await chmod(path, mode);
  }
}

/** A refusal from the file system (a name there twice) stays a refusal; anything else is an incomplete copy. */
function fsFailure(error: unknown): Error {
  if (error instanceof UnsafeEntryError || error instanceof UnsupportedNameError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'EEXIST' || e.code === 'ENOTDIR') return new UnsafeEntryError(`The archive holds an entry where another one already is (${e.message}).`, e.path ?? '');
  return new IncompleteExtractionError(`Writing the copy failed: ${e.message}`, e.path ?? '');
}

function unsupported(what: string, path: string): UnsupportedNameError {
  return new UnsupportedNameError(`${what}, a name that is not UTF-8: this machine's git could only get it under another name.`, path);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

/**
 * The entry's path after stripping `strip` leading parts the way tar does, or undefined when
 * nothing is left (the archive's root); refuses absolute paths, `..` anywhere, and names that
 * are not UTF-8.
 */
function relativePath(rawPath: string, strip: number): string | undefined {
  if (rawPath.startsWith('/') || /^[A-Za-z]:/.test(rawPath)) {
    throw new UnsafeEntryError(`The archive entry "${displayName(rawPath)}" has an absolute path.`, rawPath);
  }
  const parts = rawPath.split('/');
  if (parts.some((part, i) => part === '..' || (part === '.' && i > 0))) {
    throw new UnsafeEntryError(`The archive entry "${displayName(rawPath)}" leaves its folder ("." or ".." in its path).`, rawPath);
  }
  if (!isUtf8(nameToBytes(rawPath))) throw unsupported(`The archive entry ${displayName(rawPath)} has a name`, rawPath);
  if (parts.length < strip) return undefined;
  const rest = parts.slice(strip).filter((part) => part !== '');
  return rest.length === 0 ? undefined : rest.join('/');
}

async function createLink(dest: string, path: string, target: string): Promise<void> {
  const parts = path.split('/');
  let dir = dest;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    const info = await lstat(dir).catch(() => undefined);
    if (!info) await mkdir(dir, { mode: 0o755 });
    else if (!info.isDirectory()) throw new UnsafeEntryError(`The symbolic link ${displayName(path)} would be created through ${displayName(part)}, which is not a folder.`, path);
  }
  // A folder made there for a later entry's path means that entry went "through" the link.
  if (await lstat(join(dest, path)).catch(() => undefined)) throw new UnsafeEntryError(`The archive puts entries inside ${displayName(path)}, which it also holds as a symbolic link.`, path);
  await symlink(target, join(dest, path));
}
