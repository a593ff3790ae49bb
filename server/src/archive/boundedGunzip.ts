import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, type Gunzip } from 'node:zlib';

export interface GunzipBounds {
  /** The most decompressed bytes allowed so far; re-read on every chunk (it can grow). */
  readonly maxBytes: () => number;
  /** Builds the error when the output passes the bound. */
  readonly tooBig: (bytes: number, limit: number) => Error;
  /** Builds the error for corrupt, truncated or trailing-garbage gzip. */
  readonly corrupt: (detail: string) => Error;
}

export interface GunzipStats {
  compressedBytes: number;
  compressedSha256: string;
  rawBytes: number;
}

/**
 * Inflates a gzip stream (all members) with our own bound on the output, and hashes the
 * compressed bytes on the way in. tar's `maxDecompressionRatio` is not used for this: since tar
 * 7.5.19 its default of 1000 rejects legitimate archives (a volume holding a 256 MiB zero-filled
 * file failed at a ratio of 1000.01), and a ratio does not bound the total output either (a
 * 256 MiB stream at ratio 48 went through); the bound here comes from the sizes the manifest
 * declares. `done` resolves after the input is fully read and
 * checks that the gzip stream used every byte of it (no trailing data).
 */
export function boundedGunzip(source: Readable, bounds: GunzipBounds): { output: Readable; done: Promise<GunzipStats> } {
  const hash = createHash('sha256');
  const stats: GunzipStats = { compressedBytes: 0, compressedSha256: '', rawBytes: 0 };
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      stats.compressedBytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const gunzip: Gunzip = createGunzip();
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      stats.rawBytes += chunk.length;
      const limit = bounds.maxBytes();
      if (stats.rawBytes > limit) {
        done(bounds.tooBig(stats.rawBytes, limit));
        return;
      }
      done(null, chunk);
    },
  });
  const done = pipeline(source, tap, gunzip, counter).then(
    () => {
      stats.compressedSha256 = hash.digest('hex');
      if (gunzip.bytesWritten !== stats.compressedBytes) {
        throw bounds.corrupt(`${stats.compressedBytes - gunzip.bytesWritten} bytes follow the end of the gzip stream`);
      }
      return stats;
    },
    (error: unknown) => {
      throw classify(error, bounds);
    },
  );
  return { output: counter, done };
}

function classify(error: unknown, bounds: GunzipBounds): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    const message = (error as Error).message;
    return bounds.corrupt(code === 'Z_BUF_ERROR' ? `truncated (${message})` : `corrupt (${message})`);
  }
  return error as Error;
}
