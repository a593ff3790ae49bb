// Reads the restore helper's framed output (helper.sh): records of the form
// `@@<name> <bytes>[ <bytes>…]\n` followed by exactly that many bytes. Lengths, never
// separators, delimit what a record holds, so no file name or link target can end a record or
// start a new one. Anything that is not a well-formed record is a protocol error.
import { Writable } from 'node:stream';

export interface FramedRecord {
  readonly name: string;
  /** One buffer per declared length, in order. */
  readonly parts: readonly Buffer[];
}

/** Largest record accepted (a listing of a million names is well below it). */
const MAX_RECORD_BYTES = 1024 * 1024 * 1024;
const MAX_HEADER_BYTES = 256;

export class FramedReader {
  private header = '';
  private sizes: number[] | undefined;
  private name = '';
  private chunks: Buffer[] = [];
  private have = 0;
  private total = 0;
  private ended = false;
  private problem: string | undefined;

  constructor(private readonly onRecord: (record: FramedRecord) => void) {}

  /** A Writable that feeds this reader (for the helper's stdout). */
  sink(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        try {
          this.write(chunk);
          done();
        } catch (error) {
          done(error as Error);
        }
      },
    });
  }

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.problem === undefined) {
      if (this.ended) return this.fail('output after the end record');
      if (this.sizes === undefined) {
        const nl = chunk.indexOf(0x0a, pos);
        const piece = chunk.toString('latin1', pos, nl < 0 ? chunk.length : nl);
        this.header += piece;
        if (this.header.length > MAX_HEADER_BYTES) return this.fail('a record header is too long');
        if (nl < 0) return;
        pos = nl + 1;
        const match = /^@@([a-z]+)((?: (?:0|[1-9][0-9]{0,12}))+)$/.exec(this.header);
        this.header = '';
        if (!match) return this.fail('output that is not a framed record');
        this.name = match[1] as string;
        this.sizes = (match[2] as string).trim().split(' ').map(Number);
        this.total = this.sizes.reduce((a, b) => a + b, 0);
        if (this.total > MAX_RECORD_BYTES) return this.fail('a record is too large');
        this.chunks = [];
        this.have = 0;
        if (this.total === 0) this.complete();
        continue;
      }
      const take = Math.min(this.total - this.have, chunk.length - pos);
      this.chunks.push(Buffer.from(chunk.subarray(pos, pos + take)));
      this.have += take;
      pos += take;
      if (this.have === this.total) this.complete();
    }
  }

  /** Throws when the output was malformed or stopped before its end record. */
  finish(): void {
    if (this.problem !== undefined) throw new Error(this.problem);
    if (!this.ended) throw new Error('the output ended before its end record');
  }

  private complete(): void {
    const whole = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const sizes = this.sizes ?? [];
    const parts: Buffer[] = [];
    let offset = 0;
    for (const size of sizes) {
      parts.push(whole.subarray(offset, offset + size));
      offset += size;
    }
    const name = this.name;
    this.sizes = undefined;
    this.chunks = [];
    if (name === 'end') {
      this.ended = true;
      return;
    }
    try {
      this.onRecord({ name, parts });
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  private fail(message: string): void {
    this.problem ??= message;
  }
}
