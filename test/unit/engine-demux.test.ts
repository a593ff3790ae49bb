import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { Demultiplexer } from '../../server/src/engine/execDemux';
import { ExportOutputParser } from '../../server/src/workspace/exportOutput';

/** One frame of the engine's exec stream: type (1 stdout, 2 stderr), 3 zero bytes, size, payload. */
function frame(type: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** The most listeners an emitter ever had at once, per event. */
function trackListeners(emitter: Writable): Map<string, number> {
  const most = new Map<string, number>();
  emitter.on('newListener', (event: string | symbol) => {
    // newListener fires before the listener is added.
    const name = String(event);
    most.set(name, Math.max(most.get(name) ?? 0, emitter.listenerCount(event) + 1));
  });
  return most;
}

/** A sink slower than its source: every write completes a tick later, with a small buffer. */
class SlowSink extends Writable {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor() {
    super({ highWaterMark: 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    setImmediate(done);
  }
}

describe('exec demultiplexer: a long stream into a slow sink', () => {
  it('streams thousands of many-frame chunks through the export path without piling up listeners (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const id = 'c'.repeat(40);
      const header = Buffer.from(`BERTH-EXPORT 1\nbase ${id}\nsource head\nrecord -\nhead ${id}\ndirty 0\nlist 0\npatch\n`);
      // git writes through 4 KiB stdio buffers, so a 64 KiB socket read holds 16 frames.
      const payload = Buffer.alloc(4096, 0x61);
      const chunks: Buffer[] = [frame(1, header)];
      const expected = createHash('sha256');
      let patchBytes = 0;
      for (let c = 0; c < 400; c++) {
        const frames: Buffer[] = [];
        for (let f = 0; f < 16; f++) {
          frames.push(frame(f === 15 && c % 8 === 0 ? 2 : 1, payload));
          if (!(f === 15 && c % 8 === 0)) {
            expected.update(payload);
            patchBytes += payload.length;
          }
        }
        chunks.push(Buffer.concat(frames));
      }
      const sink = new SlowSink();
      const parser = new ExportOutputParser(sink);
      const stderr = new SlowSink();
      const most = [sink, parser, stderr].map(trackListeners);
      await pipeline(Readable.from(chunks), new Demultiplexer(parser, stderr));
      await new Promise<void>((resolve) => parser.end(resolve));
      await new Promise((resolve) => setImmediate(resolve));

      assert.equal(sink.bytes, patchBytes, 'every patch byte arrived');
      assert.equal(sink.hash.digest('hex'), expected.digest('hex'), 'in order');
      assert.ok(parser.header, 'the header was parsed');
      const leaks = warnings.filter((w) => w.name === 'MaxListenersExceededWarning');
      assert.deepEqual(leaks.map((w) => w.message), [], 'no listener leak');
      for (const counts of most) {
        for (const event of ['drain', 'close', 'error']) assert.ok((counts.get(event) ?? 0) <= 3, `a bounded number of ${event} listeners, saw ${counts.get(event)}`);
      }
      assert.equal(parser.listenerCount('drain') + sink.listenerCount('drain'), 0, 'no listeners left behind');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
