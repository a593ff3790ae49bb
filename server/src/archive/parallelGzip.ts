// Gzip that uses more than one core: the byte stream is cut into fixed-size blocks, each block
// is compressed as its own gzip member on libuv's thread pool, and the members are written to
// the file in order. Concatenated members are one valid gzip stream (RFC 1952 §2.2), which
// gunzip, GNU tar and Node read as a whole. Memory stays bounded: at most `inFlight` blocks are
// being compressed or written at once, and `ready()` makes the producer wait for room.
//
// Each block picks its own method (blockCompression.ts): stored, Huffman-only or deflate. The
// choice never changes the bytes a reader gets back.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { compressBlock } from './blockCompression';

export interface ParallelGzipOptions {
  readonly blockSize?: number;
  readonly inFlight?: number;
  readonly level?: number;
  /** Choose stored or Huffman-only per block where deflate would not pay (default true). */
  readonly adaptive?: boolean;
}

export interface GzipFileResult {
  /** Compressed bytes written. */
  readonly bytes: number;
  /** SHA-256 of the compressed bytes written. */
  readonly sha256: string;
  /** Uncompressed bytes taken in. */
  readonly rawBytes: number;
  /** Blocks per compression method. */
  readonly methods: Readonly<Record<string, number>>;
}

export class ParallelGzipFile {
  private readonly blockSize: number;
  private readonly inFlight: number;
  private readonly level: number;
  private readonly adaptive: boolean;
  private block: Buffer;
  /** Blocks whose compression finished, reused so 1 MiB buffers do not churn the GC. */
  private readonly spare: Buffer[] = [];
  private fill = 0;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];
  private readonly hash = createHash('sha256');
  private written = 0;
  private rawBytes = 0;
  private readonly methods: Record<string, number> = {};
  private finished = false;

  constructor(private readonly handle: FileHandle, options: ParallelGzipOptions = {}) {
    this.blockSize = options.blockSize ?? 1024 * 1024;
    this.inFlight = options.inFlight ?? Math.max(2, Math.min(4, availableParallelism() + 1));
    this.level = options.level ?? 1;
    this.adaptive = options.adaptive ?? true;
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
    return { bytes: this.written, sha256: this.hash.digest('hex'), rawBytes: this.rawBytes, methods: { ...this.methods } };
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
    const full = this.block;
    const data = full.subarray(0, this.fill);
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(this.blockSize);
    this.fill = 0;
    const compressed = compressBlock(data, this.level, this.adaptive).then((result) => {
      this.methods[result.method] = (this.methods[result.method] ?? 0) + 1;
      // zlib has read the input once its callback ran; the block can take new bytes.
      if (this.spare.length < this.inFlight + 1) this.spare.push(full);
      return result.out;
    });
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

/**
 * Writes the whole buffer at `position`, looping on short writes: a write(2) may write fewer bytes
 * than asked (a full disk), and a writer that ignores `bytesWritten` leaves a truncated file
 * behind while reporting success (write-file-atomic 8 did exactly that on a full disk).
 */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, position + offset);
    if (bytesWritten <= 0) throw new Error('short write');
    offset += bytesWritten;
  }
}
