// Decompression bombs must be refused at a cost linear in the input and with bounded memory.
// Wall time is never asserted: the work is measured by counting what the code copies and how
// much it reads. Buffer.concat is where a tar reader that buffers input grows (node-tar keeps
// everything after the end-of-archive marker in one buffer, re-concatenated on every chunk), so
// the bytes it produces in total and the largest buffer it builds are the measure.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readSnapshotArchive } from '../../server/src/archive/snapshotReader';
import { scanTar } from '../../server/src/archive/tarScanner';
import { RejectedError } from '../../server/src/errors';

const problem = (message: string, path: string | undefined) => new RejectedError(message, path ? { path } : {});

interface Work {
  /** Bytes produced by every Buffer.concat call while the block ran. */
  copied: number;
  /** The largest buffer Buffer.concat built. */
  largest: number;
}

async function measured<T>(run: () => Promise<T>): Promise<{ work: Work; outcome: PromiseSettledResult<T> }> {
  const work: Work = { copied: 0, largest: 0 };
  const original = Buffer.concat;
  Buffer.concat = function concat(list: readonly Uint8Array[], totalLength?: number): Buffer {
    const out = original.call(Buffer, list, totalLength);
    work.copied += out.length;
    work.largest = Math.max(work.largest, out.length);
    return out;
  } as typeof Buffer.concat;
  try {
    const [outcome] = await Promise.allSettled([run()]);
    return { work, outcome: outcome as PromiseSettledResult<T> };
  } finally {
    Buffer.concat = original;
  }
}

/** `size` zero bytes in 16 KiB chunks (gunzip's chunk size), made lazily; counts what was pulled. */
function zeros(size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const chunk = Buffer.alloc(16 * 1024);
  const stream = Readable.from(
    (function* () {
      while (pulled < size) {
        pulled += chunk.length;
        yield chunk;
      }
    })(),
  );
  return { stream, pulled: () => pulled };
}

const MiB = 1024 * 1024;

describe('decompression bombs are refused at linear cost', () => {
  it('a tar of nothing but zeros: refused soon after the end marker, nothing buffered', async () => {
    for (const size of [4 * MiB, 16 * MiB]) {
      const source = zeros(size);
      const { work, outcome } = await measured(() => scanTar(source.stream, { entry: () => undefined }, { formatError: (m) => new Error(m) }));
      assert.equal(outcome.status, 'rejected', `${size} bytes of zeros are not an archive with some padding`);
      assert.ok(source.pulled() <= 2 * MiB, `stopped reading early (pulled ${source.pulled()} of ${size})`);
      assert.ok(work.largest <= 64 * 1024, `largest buffer ${work.largest}`);
      assert.ok(work.copied <= 256 * 1024, `bytes copied ${work.copied}`);
    }
  });

  for (const size of [8 * MiB, 32 * MiB]) {
    it(`an imported gzip of ${size / MiB} MiB of zeros: refused with bounded copying and buffering`, async () => {
      const bomb = gzipSync(Buffer.alloc(size), { level: 9 });
      const { work, outcome } = await measured(() => readSnapshotArchive(Readable.from([bomb]), { compressedSize: bomb.length, sourceName: 'bomb.tar.gz', problem }));
      assert.equal(outcome.status, 'rejected');
      assert.ok((outcome as PromiseRejectedResult).reason instanceof RejectedError, String((outcome as PromiseRejectedResult).reason));
      // Independent of the bomb's size: the refusal comes a bounded distance after the end marker.
      assert.ok(work.largest <= 64 * 1024, `largest buffer ${work.largest}`);
      assert.ok(work.copied <= 4 * MiB, `bytes copied ${work.copied}`);
    });
  }
});
