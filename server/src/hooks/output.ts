// A hook's output, bounded: the last `limit` bytes of stdout and stderr as they arrive are kept
// and everything before them only counted, so a hook that prints 10 MiB costs 64 KiB of memory.
import { Writable } from 'node:stream';

export const HOOK_OUTPUT_LIMIT = 64 * 1024;

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes received in all. */
  total = 0;

  constructor(private readonly limit: number = HOOK_OUTPUT_LIMIT) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const part = chunk.length > this.limit ? chunk.subarray(chunk.length - this.limit) : chunk;
    this.chunks.push(part);
    this.size += part.length;
    while (this.size > this.limit) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /** Bytes counted but not kept. */
  get omitted(): number {
    return this.total - this.size;
  }

  /** The kept tail as text (a character cut at the start shows as U+FFFD). */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** A sink for one of the exec's streams. */
  sink(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.push(chunk);
        done();
      },
    });
  }
}

/**
 * stdout of a hook started by the PID wrapper: its first line is `berth-hook-pid:<pid>`, which is
 * taken out (the PID lets a timeout stop the hook); the rest goes to the tail. The marker line is
 * at most 40 bytes, so at most that much is held back.
 */
export class PidLineSink extends Writable {
  private head: Buffer | undefined = Buffer.alloc(0);
  pid: number | undefined;

  constructor(private readonly tail: OutputTail) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.head === undefined) {
      this.tail.push(chunk);
      return done();
    }
    const joined = Buffer.concat([this.head, chunk]);
    const newline = joined.indexOf(0x0a);
    if (newline === -1 && joined.length < 40) {
      this.head = joined;
      return done();
    }
    this.head = undefined;
    const line = newline === -1 ? '' : joined.subarray(0, newline).toString('latin1');
    const m = /^berth-hook-pid:(\d{1,9})$/.exec(line);
    if (m) {
      this.pid = Number(m[1]);
      if (joined.length > newline + 1) this.tail.push(joined.subarray(newline + 1));
    } else {
      this.tail.push(joined);
    }
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.head && this.head.length > 0) this.tail.push(this.head);
    this.head = undefined;
    done();
  }
}
