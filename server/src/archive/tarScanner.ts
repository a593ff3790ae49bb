// The one wrapper around tar v7's Parser. Every archive Berth reads (the engine's tar during
// capture, stored snapshots during verify and restore, foreign files during import) goes
// through it, so validation and extraction always use the same parser (PITFALLS §8).
//
// Rules that keep it safe (PITFALLS §3, §6, §8):
// - Nothing throws inside a Parser callback: every visitor call is wrapped, and a failure calls
//   `parser.abort(error)`, which stops the parser for good.
// - Every parser warning is fatal: a bad checksum, a truncated body, an unknown entry type or an
//   over-long meta header would otherwise be skipped silently and change what the next header
//   means.
// - A PAX global header is refused: other tools apply its `path=`, node-tar does not.
// - The parser never decompresses: callers feed it plain tar (they inflate with a bounded
//   gunzip). `maxDecompressionRatio: 1` makes any attempt to inflate inside the parser abort at
//   once, and `zstd`/`brotli` sniffing is off; a stream that starts with the gzip magic is
//   refused before the parser sees it.
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { CancelledError } from '../errors';

export type TarEntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo' | 'other';

export interface TarEntryHeader {
  /** The path as stored (node-tar applies per-entry PAX and GNU long names). */
  readonly path: string;
  readonly kind: TarEntryKind;
  /** The raw type name from node-tar, for messages. */
  readonly typeName: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Whole seconds. */
  readonly mtime: number;
  readonly linkpath?: string;
}

export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
}

export interface TarVisitor {
  /** Called for each entry in order; returns a sink for its body, or undefined to skip it. May throw. */
  entry(header: TarEntryHeader): BodySink | undefined;
  /** Awaited after each chunk of input, so a slow consumer holds the source back. */
  ready?(): Promise<void> | void;
}

export interface ScanOptions {
  readonly signal?: AbortSignal;
  /** Largest PAX or GNU long-name header accepted; bigger ones reject the archive. */
  readonly maxMetaBytes?: number;
  /** Require the end-of-archive marker (two zero blocks). Default true. */
  readonly requireEnd?: boolean;
  /** Builds the error for a format problem; `path` is the entry being read, if any. */
  readonly formatError: (message: string, path: string | undefined) => Error;
}

export interface ScanResult {
  readonly entries: number;
  /** Bytes of tar fed to the parser. */
  readonly tarBytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Reads a plain (uncompressed) tar stream through the visitor. Rejects with the first error. */
export async function scanTar(source: Readable | AsyncIterable<Buffer>, visitor: TarVisitor, options: ScanOptions): Promise<ScanResult> {
  let failure: Error | undefined;
  let current: string | undefined;
  let entries = 0;
  let tarBytes = 0;
  let sawEnd = false;
  const parser = new Parser({
    strict: false,
    maxMetaEntrySize: options.maxMetaBytes ?? 64 * 1024,
    maxDecompressionRatio: 1,
    zstd: false,
    brotli: false,
  });
  const fail = (error: Error) => {
    failure ??= error;
    parser.abort(error);
  };
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', (error: Error) => reject(failure ?? error));
  });
  // Keep an unobserved rejection from surfacing before we await it below.
  done.catch(() => undefined);
  parser.on('warn', (_code: string, message: string, data?: { entry?: { path?: string }; header?: { path?: string } }) => {
    // A bad header has no entry of its own yet: name it if it decoded, else the one before it.
    const path = data?.entry?.path ?? data?.header?.path;
    fail(options.formatError(path !== undefined || current === undefined ? message : `${message} (in the header after "${current}")`, path ?? current));
  });
  parser.on('ignoredEntry', (entry: ReadEntry) => fail(options.formatError(`unsupported or oversized entry (${entry.type})`, entry.path)));
  parser.on('eof', () => {
    sawEnd = true;
  });
  parser.on('entry', (entry: ReadEntry) => {
    try {
      current = entry.path;
      entries++;
      if (entry.globalExtended) throw options.formatError('a PAX global header precedes this entry', entry.path);
      const header: TarEntryHeader = {
        path: entry.path,
        kind: kindOf(entry.type),
        typeName: entry.type,
        size: entry.size,
        mode: (entry.mode ?? 0) & 0o7777,
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        mtime: entry.mtime ? Math.floor(entry.mtime.getTime() / 1000) : 0,
        ...(entry.linkpath !== undefined && entry.linkpath !== '' ? { linkpath: entry.linkpath } : {}),
      };
      const sink = visitor.entry(header);
      if (!sink) {
        entry.resume();
        return;
      }
      entry.on('data', (chunk: Buffer) => {
        if (failure) return;
        try {
          sink.data(chunk);
        } catch (error) {
          fail(error as Error);
        }
      });
      entry.on('end', () => {
        if (failure) return;
        try {
          sink.end();
        } catch (error) {
          fail(error as Error);
        }
      });
    } catch (error) {
      fail(error as Error);
      entry.resume();
    }
  });

  const iterable = source as AsyncIterable<Buffer>;
  const destroy = (error?: Error) => (source as Partial<Readable>).destroy?.(error);
  const onAbort = () => destroy(new CancelledError());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let first = true;
    for await (const chunk of iterable) {
      if (options.signal?.aborted) throw new CancelledError();
      if (first && chunk.length > 0) {
        first = false;
        if (chunk.length >= 2 && chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1]) {
          fail(options.formatError('the tar stream is itself compressed (nested gzip)', undefined));
        }
      }
      if (failure) break;
      tarBytes += chunk.length;
      parser.write(chunk);
      if (failure) break;
      await visitor.ready?.();
      if (failure) break;
    }
  } catch (error) {
    if (options.signal?.aborted) failure ??= new CancelledError();
    fail(failure ?? (error as Error));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) {
    destroy();
    throw failure;
  }
  parser.end();
  try {
    await done;
  } catch (error) {
    throw failure ?? error;
  }
  if (failure) throw failure;
  if ((options.requireEnd ?? true) && !sawEnd) throw options.formatError('the archive ends without its end-of-archive marker (truncated?)', current);
  return { entries, tarBytes };
}

function kindOf(type: string): TarEntryKind {
  switch (type) {
    case 'File':
    case 'OldFile':
      return 'file';
    case 'Directory':
      return 'dir';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    case 'CharacterDevice':
      return 'chardev';
    case 'BlockDevice':
      return 'blockdev';
    case 'FIFO':
      return 'fifo';
    default:
      return 'other';
  }
}
