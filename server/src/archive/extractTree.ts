import { lstat, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';

/** An archive entry that would escape the target or that Berth refuses to create. */
export class UnsafeEntryError extends Error {
  readonly code = 'BERTH_UNSAFE_ENTRY';
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'UnsafeEntryError';
  }
}

/** The extraction finished but did not produce what the archive declared (PITFALLS §1). */
export class IncompleteExtractionError extends Error {
  readonly code = 'BERTH_EXTRACT_INCOMPLETE';
  constructor(message: string, readonly path: string) {
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
 * by us, and nothing outside `dest`.
 *
 * - Absolute paths, `..` parts and unknown entry types refuse the whole archive (abort, never a
 *   throw inside tar's callbacks: PITFALLS §3).
 * - Symbolic links are created by us, verbatim, after every other entry, so no entry can be
 *   written through one and absolute targets stay as they were (PITFALLS §5); a link whose
 *   parent folder is a link is refused.
 * - Every regular file's size is checked against its header afterwards, because tar can resolve
 *   while having written less (PITFALLS §1).
 */
export async function extractTree(source: Readable, dest: string, options: ExtractTreeOptions): Promise<ExtractTreeResult> {
  await mkdir(dest, { recursive: true });
  const sizes = new Map<string, number>();
  const links: { path: string; target: string }[] = [];
  const skipped: string[] = [];
  const problems: string[] = [];
  let directories = 0;
  let failure: Error | undefined;
  let bytes = 0;

  const unpack = new tar.Unpack({
    cwd: dest,
    strip: options.strip,
    preserveOwner: false,
    noMtime: true,
    maxDecompressionRatio: Infinity,
    onwarn: (code, message) => {
      if (code !== 'TAR_ENTRY_INFO') problems.push(`${code}: ${message}`);
    },
    filter: (path, entry) => {
      try {
        return admit(path, entry as tar.ReadEntry);
      } catch (error) {
        failure ??= error as Error;
        unpack.abort(error as Error);
        return false;
      }
    },
  });

  const admit = (rawPath: string, entry: tar.ReadEntry): boolean => {
    const path = relativePath(rawPath, options.strip);
    if (path === undefined) return false;
    switch (entry.type) {
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        sizes.set(path, entry.size ?? 0);
        entry.mode = ((entry.mode ?? 0o644) & 0o755) | 0o600;
        return true;
      case 'Directory':
        directories++;
        entry.mode = ((entry.mode ?? 0o755) & 0o755) | 0o700;
        return true;
      case 'Link': {
        const target = relativePath(String(entry.linkpath ?? ''), options.strip);
        const size = target === undefined ? undefined : sizes.get(target);
        if (size === undefined) throw new UnsafeEntryError(`The hard link ${rawPath} points at ${String(entry.linkpath)}, which is not a file earlier in the archive.`, rawPath);
        sizes.set(path, size);
        return true;
      }
      case 'SymbolicLink': {
        const target = String(entry.linkpath ?? '');
        if (target.length === 0 || target.includes('\0')) throw new UnsafeEntryError(`The symbolic link ${rawPath} has no valid target.`, rawPath);
        links.push({ path, target });
        return false;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        skipped.push(path);
        return false;
      default:
        throw new UnsafeEntryError(`The archive entry ${rawPath} has the unsupported type ${String(entry.type)}.`, rawPath);
    }
  };

  // The last 1024 bytes seen: a complete archive ends with two zero blocks. A stream cut at an
  // entry boundary would otherwise extract "successfully" with files missing.
  let tail: Buffer = Buffer.alloc(0);
  const counter = new PassThrough({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 1024))]).subarray(-1024);
      options.onProgress?.(bytes);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, counter, unpack as unknown as NodeJS.WritableStream, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    // A rejection does not mean writing has stopped (PITFALLS §2). After an abort tar processes
    // no further entry, but file-system calls of earlier (valid) entries may still be in
    // flight, and tar emits no event for them; give them a moment to land so the caller's
    // removal of the folder is final.
    await new Promise((resolve) => setTimeout(resolve, 100));
    throw failure ?? error;
  }
  if (failure) throw failure;
  if (tail.length < 1024 || tail.some((byte) => byte !== 0)) {
    throw new IncompleteExtractionError(`The archive ended early (after ${bytes} bytes, without its end marker).`, dest);
  }
  if (problems.length > 0) {
    throw new IncompleteExtractionError(`The copy is incomplete: ${problems.slice(0, 3).join('; ')}`, dest);
  }

  for (const link of links) await createLink(dest, link.path, link.target);
  for (const [path, size] of sizes) {
    const info = await lstat(join(dest, path)).catch(() => undefined);
    if (!info?.isFile() || info.size !== size) {
      throw new IncompleteExtractionError(`${path} came out ${info ? `${info.size} bytes` : 'missing'} instead of ${size} bytes (is the disk full?).`, path);
    }
  }
  return { files: sizes.size, directories, symlinks: links.length, bytes, skipped };
}

/**
 * The entry's path after stripping `strip` leading parts the way tar does, or undefined when
 * nothing is left (the archive's root); refuses absolute paths and `..` anywhere.
 */
function relativePath(rawPath: string, strip: number): string | undefined {
  if (rawPath.includes('\0') || rawPath.startsWith('/') || /^[A-Za-z]:/.test(rawPath)) {
    throw new UnsafeEntryError(`The archive entry "${rawPath}" has an absolute path.`, rawPath);
  }
  const parts = rawPath.split('/');
  if (parts.some((part, i) => part === '..' || (part === '.' && i > 0))) {
    throw new UnsafeEntryError(`The archive entry "${rawPath}" leaves its folder ("." or ".." in its path).`, rawPath);
  }
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
    else if (!info.isDirectory()) throw new UnsafeEntryError(`The symbolic link ${path} would be created through ${part}, which is not a folder.`, path);
  }
  await symlink(target, join(dest, path));
}
