// The engine's multiplexed stream (exec output, logs), split into stdout and stderr: as a stream
// with backpressure, or a buffer at once.
import { Writable } from 'node:stream';

/**
 * Splits the engine's multiplexed exec stream (8-byte frame headers) into stdout and stderr,
 * taking each frame's write callback only after the target has accepted it, so backpressure
 * reaches the socket.
 */
export class Demultiplexer extends Writable {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly stdout: Writable, private readonly stderr: Writable) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: [Writable, Buffer][] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const type = this.pending[0];
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      if (payload.length > 0) frames.push([type === 2 ? this.stderr : this.stdout, payload]);
    }
    this.deliver(frames).then(() => done(), (error: Error) => done(error));
  }

  /**
   * One frame at a time: a frame that meets backpressure waits for its target's 'drain' before
   * the next is written. Writing every frame of a chunk at once (one socket read holds a dozen
   * 4 KiB frames of git's output) left one 'drain' and one 'close' listener per blocked frame on
   * the target, and printed MaxListenersExceededWarning over and over on a large patch.
   */
  private async deliver(frames: readonly [Writable, Buffer][]): Promise<void> {
    for (const [target, payload] of frames) await writeTo(target, payload);
  }
}

function writeTo(target: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (target.destroyed) {
      reject(new Error('the output stream was closed'));
      return;
    }
    const ok = target.write(data, (error) => (error ? reject(error) : undefined));
    if (ok) {
      resolve();
      return;
    }
    const settle = (error?: Error) => {
      target.off('drain', onDrain);
      target.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the output stream was closed'));
    target.once('drain', onDrain);
    target.once('close', onClose);
  });
}

/** Splits the engine's multiplexed stdout/stderr frames (8-byte headers) into plain text. */
export function demultiplex(raw: Buffer): string {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    const start = offset + 8;
    const end = Math.min(start + size, raw.length);
    chunks.push(raw.subarray(start, end));
    offset = end;
  }
  return Buffer.concat(chunks).toString('utf8');
}
