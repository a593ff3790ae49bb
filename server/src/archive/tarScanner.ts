// The one place Berth reads tar. Every archive (the engine's tar during capture, stored
// snapshots during verify and restore, foreign files during import, plugin roots read through
// the engine, a repo copied out of a container for the export's fallback in extractTree.ts)
// goes through scanTar, so validation and extraction always see the same entries: tar readers
// that disagree about an archive are how files get smuggled past a check. tar v7 is used only
// to write archives (packTree.ts, pluginTar.ts).
//
// The reader is Berth's own (RawTarReader below), not tar v7's Parser, because a name is any
// bytes but NUL and the Parser cannot read such names: its Header and Pax decode them as UTF-8
// (`caf\xe9` becomes `caf\uFFFD`), and it splits PAX records at newlines and drops every record
// whose byte length no longer matches after that decoding, silently. With the engine's own
// archive of a volume that is enough to read a different name than the one stored, or to lose a
// link target altogether (the engine writes a non-ASCII target only in PAX). The Parser also
// kept everything after the end-of-archive marker in one buffer that it re-concatenated on
// every chunk, so a gzip of zeros cost time quadratic in its size. What its rules protected is
// kept here, stricter:
// - every header checksum is checked; a truncated body or header, an unknown entry type, an
//   over-long PAX or GNU long-name header, an unknown header format are errors, never skipped;
// - a PAX global header is refused wherever it stands, also after the last entry: other tools
//   apply its `path=`;
// - what other tar readers resolve differently is refused: more than one PAX header or GNU long
//   name for one entry, a PAX path together with a GNU long name, a body on an entry type that
//   has none (Go and GNU tar skip it, others read it), a lone zero block followed by more
//   headers, GNU sparse records, an extended header with no entry after it;
// - the bytes after the end-of-archive marker are only counted: they must be zeros (record
//   padding) and at most `maxTrailingBytes`; nothing is buffered, so refusal is linear;
// - nothing throws out of the reader into a stream callback: errors end the scan (the source
//   is destroyed) and reject it with the first error;
// - the reader never decompresses: callers feed it plain tar (they inflate with a bounded
//   gunzip), and a stream that starts with the gzip magic is refused.
import type { Readable } from 'node:stream';
import { CancelledError } from '../errors';
import { displayName, nameFromBytes } from './names';

export type TarEntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export interface TarEntryHeader {
  /** The path as stored, as exact bytes (names.ts: surrogate escape for non-UTF-8 bytes). */
  readonly path: string;
  readonly kind: TarEntryKind;
  /** The raw type flag, for messages. */
  readonly typeName: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Whole seconds. */
  readonly mtime: number;
  /** Symlinks: the target; hard links: the archive path of the linked entry (exact bytes). */
  readonly linkpath?: string;
  /** Character and block devices. */
  readonly devMajor?: number;
  readonly devMinor?: number;
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
  /** Zero bytes allowed after the end-of-archive marker (record padding). Default 1 MiB. */
  readonly maxTrailingBytes?: number;
  /** Builds the error for a format problem; `path` is the entry being read, if any. */
  readonly formatError: (message: string, path: string | undefined) => Error;
  /** Told the bytes of tar read so far, after each chunk. */
  readonly onProgress?: (tarBytes: number) => void;
}

export interface ScanResult {
  readonly entries: number;
  /** Bytes of tar read, including what followed the end marker. */
  readonly tarBytes: number;
}

const BLOCK = 512;
const GZIP_MAGIC = [0x1f, 0x8b];
const DEFAULT_TRAILING = 1024 * 1024;

/** Reads a plain (uncompressed) tar stream through the visitor. Rejects with the first error. */
export async function scanTar(source: Readable | AsyncIterable<Buffer>, visitor: TarVisitor, options: ScanOptions): Promise<ScanResult> {
  let tarBytes = 0;
  const reader = new RawTarReader({
    maxMetaBytes: options.maxMetaBytes ?? 64 * 1024,
    maxTrailingBytes: options.maxTrailingBytes ?? DEFAULT_TRAILING,
    formatError: options.formatError,
    entry: (header) => visitor.entry(header),
  });
  const destroy = (error?: Error) => (source as Partial<Readable>).destroy?.(error);
  const onAbort = () => destroy(new CancelledError());
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let first = true;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new CancelledError();
      if (first && chunk.length > 0) {
        first = false;
        if (chunk.length >= 2 && chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1]) {
          throw options.formatError('the tar stream is itself compressed (nested gzip)', undefined);
        }
      }
      tarBytes += chunk.length;
      reader.write(chunk);
      options.onProgress?.(tarBytes);
      await visitor.ready?.();
    }
    if (options.signal?.aborted) throw new CancelledError();
    reader.end(options.requireEnd ?? true);
  } catch (error) {
    destroy();
    throw options.signal?.aborted ? new CancelledError() : error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { entries: reader.entries, tarBytes };
}

const KIND_OF_FLAG: Readonly<Record<string, TarEntryKind>> = {
  '0': 'file',
  '\0': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'chardev',
  '4': 'blockdev',
  '5': 'dir',
  '6': 'fifo',
};

interface RawReaderOptions {
  readonly maxMetaBytes: number;
  readonly maxTrailingBytes: number;
  readonly formatError: (message: string, path: string | undefined) => Error;
  readonly entry: (header: TarEntryHeader) => BodySink | undefined;
}

/** Extended header data collected for the next entry. */
interface Pending {
  pax?: Map<string, Buffer>;
  longName?: Buffer;
  longLink?: Buffer;
}

type State =
  | { readonly kind: 'header' }
  | { readonly kind: 'meta'; readonly flag: string; readonly size: number; remaining: number; readonly chunks: Buffer[] }
  | { readonly kind: 'body'; remaining: number; readonly padding: number; readonly sink: BodySink | undefined }
  | { readonly kind: 'skip'; remaining: number }
  | { readonly kind: 'end' };

/**
 * Frames a tar stream and decodes each header from its raw bytes. Memory: at most one header
 * block and one meta body (maxMetaBytes) are held; bodies are passed on as slices of the input.
 */
export class RawTarReader {
  entries = 0;
  private state: State = { kind: 'header' };
  private readonly block = Buffer.alloc(BLOCK);
  private blockFill = 0;
  private pending: Pending = {};
  private zeroBlocks = 0;
  private trailing = 0;
  private lastPath: string | undefined;

  constructor(private readonly options: RawReaderOptions) {}

  /** Consumes a chunk, handing entries and bodies to the visitor as they complete. Throws on any problem. */
  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'end': {
          // Record padding only: counted, never buffered, never parsed.
          for (let i = pos; i < chunk.length; i++) {
            if (chunk[i] !== 0) throw this.error('data follows the end-of-archive marker');
          }
          this.trailing += chunk.length - pos;
          if (this.trailing > this.options.maxTrailingBytes) throw this.error(`more than ${this.options.maxTrailingBytes} bytes follow the end-of-archive marker (a decompression bomb?)`);
          pos = chunk.length;
          break;
        }
        case 'header': {
          const take = Math.min(BLOCK - this.blockFill, chunk.length - pos);
          chunk.copy(this.block, this.blockFill, pos, pos + take);
          this.blockFill += take;
          pos += take;
          if (this.blockFill === BLOCK) {
            this.blockFill = 0;
            this.header(this.block);
          }
          break;
        }
        case 'meta': {
          const take = Math.min(state.remaining, chunk.length - pos);
          state.chunks.push(Buffer.from(chunk.subarray(pos, pos + take)));
          state.remaining -= take;
          pos += take;
          if (state.remaining === 0) {
            this.state = { kind: 'header' };
            this.finishMeta(state.flag, Buffer.concat(state.chunks).subarray(0, state.size));
          }
          break;
        }
        case 'body': {
          const take = Math.min(state.remaining, chunk.length - pos);
          state.sink?.data(chunk.subarray(pos, pos + take));
          state.remaining -= take;
          pos += take;
          if (state.remaining === 0) {
            this.state = state.padding > 0 ? { kind: 'skip', remaining: state.padding } : { kind: 'header' };
            state.sink?.end();
          }
          break;
        }
        case 'skip': {
          const take = Math.min(state.remaining, chunk.length - pos);
          state.remaining -= take;
          pos += take;
          if (state.remaining === 0) this.state = { kind: 'header' };
          break;
        }
      }
    }
  }

  /** The input ended: the archive must be complete (and end with its marker when required). */
  end(requireEnd: boolean): void {
    if (this.state.kind === 'end') return;
    if (this.state.kind !== 'header' || this.blockFill !== 0) throw this.error('the archive is truncated in the middle of an entry');
    if (hasPending(this.pending)) throw this.error('an extended header has no entry after it');
    if (requireEnd) throw this.error('the archive ends without its end-of-archive marker (truncated?)');
  }

  private error(message: string): Error {
    return this.options.formatError(message, this.lastPath);
  }

  /** For a header that is not an entry yet: names the entry it follows. */
  private errorAfter(message: string): Error {
    return this.options.formatError(this.lastPath === undefined ? message : `${message}, after "${displayName(this.lastPath)}"`, this.lastPath);
  }

  private header(block: Buffer): void {
    if (isZero(block)) {
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) {
        if (hasPending(this.pending)) throw this.errorAfter('an extended header has no entry after it');
        this.state = { kind: 'end' };
      }
      return;
    }
    if (this.zeroBlocks > 0) throw this.errorAfter('a lone zero block is followed by more headers (tar readers disagree about where such an archive ends)');
    if (!checksumValid(block)) throw this.errorAfter('a header has a bad checksum');
    const magic = block.subarray(257, 265);
    const ustar = magic.equals(USTAR_MAGIC);
    if (!ustar && !magic.equals(GNU_MAGIC) && !isZero(magic)) throw this.errorAfter('a header has an unknown format (bad magic)');
    const flag = String.fromCharCode(block[156] as number);
    if (flag === 'g') throw this.errorAfter('a PAX global header (other tar readers apply its path= to later entries)');
    if (flag === 'x' || flag === 'L' || flag === 'K') {
      const size = this.number(block, 124, 12, 'size');
      if (size > this.options.maxMetaBytes) throw this.errorAfter(`an extended header of ${size} bytes is larger than the ${this.options.maxMetaBytes} allowed`);
      if (flag === 'x' && this.pending.pax) throw this.errorAfter('two PAX headers for one entry (tar readers disagree about which applies)');
      if (flag === 'L' && this.pending.longName) throw this.errorAfter('two GNU long names for one entry');
      if (flag === 'K' && this.pending.longLink) throw this.errorAfter('two GNU long link names for one entry');
      if (size === 0) this.finishMeta(flag, Buffer.alloc(0));
      else this.state = { kind: 'meta', flag, size, remaining: padded(size), chunks: [] };
      return;
    }
    const kind = KIND_OF_FLAG[flag];
    if (kind === undefined) throw this.errorAfter(`an entry has the unsupported type flag ${JSON.stringify(flag)}`);
    this.entry(block, flag, kind, ustar);
  }

  private finishMeta(flag: string, body: Buffer): void {
    if (flag === 'x') {
      this.pending.pax = parsePax(body, (m) => this.error(m));
      return;
    }
    const nul = body.indexOf(0);
    const name = Buffer.from(nul < 0 ? body : body.subarray(0, nul));
    if (flag === 'L') this.pending.longName = name;
    else this.pending.longLink = name;
  }

  private entry(block: Buffer, flag: string, flagKind: TarEntryKind, ustar: boolean): void {
    const pending = this.pending;
    this.pending = {};
    const pax = pending.pax ?? new Map<string, Buffer>();
    if (pax.has('path') && pending.longName) throw this.error('an entry has both a PAX path and a GNU long name (tar readers disagree about which applies)');
    if (pax.has('linkpath') && pending.longLink) throw this.error('an entry has both a PAX linkpath and a GNU long link name');
    let pathBytes = pax.get('path') ?? pending.longName;
    if (pathBytes === undefined) {
      const name = cString(block, 0, 100);
      const prefix = ustar ? cString(block, 345, 155) : Buffer.alloc(0);
      pathBytes = prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), name]) : name;
    }
    const linkBytes = pax.get('linkpath') ?? pending.longLink ?? cString(block, 157, 100);
    if (pathBytes.length === 0) throw this.error('an entry has an empty path');
    if (pathBytes.includes(0)) throw this.error('an entry path holds a NUL byte');
    const path = nameFromBytes(pathBytes);
    this.lastPath = path;
    // Old tars mark a directory as a regular file whose name ends with a slash (node-tar, GNU
    // tar and Go all read it so).
    const kind: TarEntryKind = flagKind === 'file' && path.endsWith('/') ? 'dir' : flagKind;
    const size = paxNumber(pax, 'size', (m) => this.error(m)) ?? this.number(block, 124, 12, 'size');
    if (kind !== 'file' && size !== 0) throw this.error(`a ${kind} entry carries ${size} bytes of data (tar readers disagree about whether it has a body)`);
    const isLink = kind === 'symlink' || kind === 'hardlink';
    if (isLink && linkBytes.length === 0) throw this.error('a link has no target');
    if (!isLink && linkBytes.length > 0) throw this.error('an entry that is not a link has a link target');
    if (linkBytes.includes(0)) throw this.error('a link target holds a NUL byte');
    const isDevice = kind === 'chardev' || kind === 'blockdev';
    const header: TarEntryHeader = {
      path,
      kind,
      typeName: flag === '\0' ? '\\0' : flag,
      size,
      mode: this.number(block, 100, 8, 'mode') & 0o7777,
      uid: paxNumber(pax, 'uid', (m) => this.error(m)) ?? this.number(block, 108, 8, 'uid'),
      gid: paxNumber(pax, 'gid', (m) => this.error(m)) ?? this.number(block, 116, 8, 'gid'),
      mtime: paxNumber(pax, 'mtime', (m) => this.error(m), true) ?? this.number(block, 136, 12, 'mtime'),
      ...(isLink ? { linkpath: nameFromBytes(linkBytes) } : {}),
      ...(isDevice
        ? {
            devMajor: paxNumber(pax, 'SCHILY.devmajor', (m) => this.error(m)) ?? this.number(block, 329, 8, 'devmajor'),
            devMinor: paxNumber(pax, 'SCHILY.devminor', (m) => this.error(m)) ?? this.number(block, 337, 8, 'devminor'),
          }
        : {}),
    };
    this.entries++;
    const sink = this.options.entry(header);
    if (size === 0) {
      sink?.end();
      return;
    }
    this.state = { kind: 'body', remaining: size, padding: padded(size) - size, sink };
  }

  /** An octal field (space/NUL terminated, leading spaces allowed) or a base-256 one (GNU, Go). */
  private number(block: Buffer, offset: number, length: number, name: string): number {
    const field = block.subarray(offset, offset + length);
    if (((field[0] as number) & 0x80) !== 0) {
      if (field[0] === 0xff) throw this.error(`the ${name} field is negative`);
      let value = (field[0] as number) & 0x7f;
      for (let i = 1; i < field.length; i++) {
        value = value * 256 + (field[i] as number);
        if (!Number.isSafeInteger(value)) throw this.error(`the ${name} field is too large`);
      }
      return value;
    }
    const nul = field.indexOf(0);
    const digits = field.toString('latin1', 0, nul < 0 ? field.length : nul).trim();
    if (!/^[0-7]*$/.test(digits)) throw this.error(`the ${name} field is not an octal number`);
    return digits === '' ? 0 : parseInt(digits, 8);
  }
}

function hasPending(p: Pending): boolean {
  return p.pax !== undefined || p.longName !== undefined || p.longLink !== undefined;
}

const USTAR_MAGIC = Buffer.from('ustar\u000000', 'latin1');
const GNU_MAGIC = Buffer.from('ustar  \u0000', 'latin1');

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function isZero(buffer: Buffer): boolean {
  for (const byte of buffer) if (byte !== 0) return false;
  return true;
}

function cString(block: Buffer, offset: number, length: number): Buffer {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

function checksumValid(block: Buffer): boolean {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < BLOCK; i++) sum += block[i] as number;
  const text = block.subarray(148, 156).toString('latin1').replace(/^ +/, '').replace(/[\0 ]+$/, '');
  return /^[0-7]+$/.test(text) && parseInt(text, 8) === sum;
}

/** Keys other tools would act on that Berth does not understand: refused rather than ignored. */
const REFUSED_PAX = /^GNU\.sparse\./;
const STRUCTURAL_PAX = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'SCHILY.devmajor', 'SCHILY.devminor']);

/** Parses PAX records by their length prefixes (a value may hold any byte, newlines too). */
function parsePax(body: Buffer, error: (message: string) => Error): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < body.length) {
    // Some writers pad the body with NULs after the last record.
    if (body[pos] === 0) {
      if (!isZero(body.subarray(pos))) throw error('a PAX header holds data after its padding');
      break;
    }
    const space = body.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) throw error('a PAX record has no length');
    const lengthText = body.toString('latin1', pos, space);
    if (!/^[1-9][0-9]*$/.test(lengthText)) throw error('a PAX record length is not a number');
    const length = Number(lengthText);
    const end = pos + length;
    if (end > body.length || body[end - 1] !== 0x0a) throw error('a PAX record does not end where its length says');
    const record = body.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw error('a PAX record has no key');
    const key = record.toString('latin1', 0, eq);
    if (REFUSED_PAX.test(key)) throw error(`PAX record ${key} (sparse files are not supported)`);
    if (STRUCTURAL_PAX.has(key) && records.has(key)) throw error(`the PAX record ${key} appears twice`);
    records.set(key, Buffer.from(record.subarray(eq + 1)));
    pos = end;
  }
  return records;
}

function paxNumber(pax: Map<string, Buffer>, key: string, error: (message: string) => Error, time = false): number | undefined {
  const value = pax.get(key);
  if (value === undefined) return undefined;
  const text = value.toString('latin1');
  const pattern = time ? /^-?[0-9]+(\.[0-9]+)?$/ : /^[0-9]+$/;
  if (!pattern.test(text)) throw error(`the PAX record ${key} is not a number`);
  const number = time ? Math.floor(Number(text)) : Number(text);
  if (!Number.isSafeInteger(number)) throw error(`the PAX record ${key} is out of range`);
  return number;
}
