// Gzip that uses more than one core: the byte stream is cut into fixed-size blocks, each block
// is compressed as its own gzip member on libuv's thread pool, and the members are written to
// the file in order. Concatenated members are one valid gzip stream (RFC 1952 §2.2), which
// gunzip, GNU tar and Node read as a whole. Memory stays bounded: at most `inFlight` blocks are
// being compressed or written at once, and `ready()` makes the producer wait for room.
//
// Blocks whose bytes look random (high byte entropy in a few samples) are stored with deflate
// level 0 instead of level 1: deflating them costs ~20× the time and saves nothing. This is the
// only compressibility heuristic; it never changes the bytes a reader gets back.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { gzip, type ZlibOptions } from 'node:zlib';

export interface ParallelGzipOptions {
  readonly blockSize?: number;
  readonly inFlight?: number;
  readonly level?: number;
  /** Store incompressible-looking blocks uncompressed (default true). */
  readonly detectIncompressible?: boolean;
}

export interface GzipFileResult {
  /** Compressed bytes written. */
  readonly bytes: number;
  /** SHA-256 of the compressed bytes written. */
  readonly sha256: string;
  /** Uncompressed bytes taken in. */
  readonly rawBytes: number;
  readonly storedBlocks: number;
  readonly deflatedBlocks: number;
}

export class ParallelGzipFile {
  private readonly blockSize: number;
  private readonly inFlight: number;
  private readonly level: number;
  private readonly detect: boolean;
  private block: Buffer;
  private fill = 0;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];
  private readonly hash = createHash('sha256');
  private written = 0;
  private rawBytes = 0;
  private storedBlocks = 0;
  private deflatedBlocks = 0;
  private finished = false;

  constructor(private readonly handle: FileHandle, options: ParallelGzipOptions = {}) {
    this.blockSize = options.blockSize ?? 1024 * 1024;
    this.inFlight = options.inFlight ?? Math.max(2, Math.min(4, availableParallelism() + 1));
    this.level = options.level ?? 1;
    this.detect = options.detectIncompressible ?? true;
    this.block = Buffer.allocUnsafe(this.blockSize);
  }

  /** Takes bytes in (copied, so the caller may reuse its buffer). Throws a previous failure. */
  write(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('write after finish');
    this.rawBytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.blockSize - this.fill, chunk.length - offset);
      chunk.copy(this.block, this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === this.blockSize) this.submit();
    }
  }

  /** Resolves when fewer than `inFlight` blocks are pending; rejects with a failure. */
  ready(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending < this.inFlight) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Compresses what is left, waits for every write, and fsyncs the file. */
  async finish(): Promise<GzipFileResult> {
    if (this.failure) throw this.failure;
    if (this.fill > 0) this.submit();
    this.finished = true;
    await this.chain;
    if (this.failure) throw this.failure;
    await this.handle.sync();
    return { bytes: this.written, sha256: this.hash.digest('hex'), rawBytes: this.rawBytes, storedBlocks: this.storedBlocks, deflatedBlocks: this.deflatedBlocks };
  }

  /** Stops: pending work is dropped; later calls fail. The caller closes and removes the file. */
  abort(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  /** Settles once no write is in progress any more (after abort, before deleting the file). */
  async settled(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  private submit(): void {
    const data = this.block.subarray(0, this.fill);
    this.block = Buffer.allocUnsafe(this.blockSize);
    this.fill = 0;
    const stored = this.detect && looksIncompressible(data);
    if (stored) this.storedBlocks++;
    else this.deflatedBlocks++;
    const compressed = gzipAsync(data, { level: stored ? 0 : this.level });
    compressed.catch(() => undefined);
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        if (this.failure) return;
        const out = await compressed;
        if (this.failure) return;
        await writeAll(this.handle, out, this.written);
        this.hash.update(out);
        this.written += out.length;
      } catch (error) {
        this.failure ??= error as Error;
      } finally {
        this.pending--;
        this.wake();
      }
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function gzipAsync(data: Buffer, options: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(data, options, (error, out) => (error ? reject(error) : resolve(out))));
}

/** Writes the whole buffer at `position`, looping on short writes (PITFALLS §9). */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, position + offset);
    if (bytesWritten <= 0) throw new Error('short write');
    offset += bytesWritten;
  }
}

const SAMPLE = 4096;
const SAMPLES = 4;
/** Bits per byte above which a sample counts as random; text is ~5, deflated or random ~7.98. */
const ENTROPY_LIMIT = 7.9;

/**
 * Whether a block looks like random or already-compressed bytes: every one of a few evenly
 * spaced samples has byte entropy above the limit. Costs a histogram of 16 KiB per block.
 */
export function looksIncompressible(data: Buffer): boolean {
  if (data.length < SAMPLE * SAMPLES) return false;
  const counts = new Uint32Array(256);
  const step = Math.floor((data.length - SAMPLE) / (SAMPLES - 1));
  for (let s = 0; s < SAMPLES; s++) {
    counts.fill(0);
    const start = s * step;
    for (let i = start; i < start + SAMPLE; i++) counts[data[i] as number]! += 1;
    let entropy = 0;
    for (let b = 0; b < 256; b++) {
      const c = counts[b] as number;
      if (c === 0) continue;
      const p = c / SAMPLE;
      entropy -= p * Math.log2(p);
    }
    if (entropy < ENTROPY_LIMIT) return false;
  }
  return true;
}
