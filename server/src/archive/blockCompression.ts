// How one block of a snapshot's data is compressed. Deflate's LZ77 stage costs most of the
// time and only pays off when bytes repeat. Two cheap probes pick the cheapest method that
// loses (almost) nothing, per block; every method produces a standard gzip member, so readers
// never know or care which one was used:
// - stored (level 0) when every sample has near-maximal byte entropy: random, encrypted or
//   already-compressed data, where deflating costs ~20× the time and saves nothing;
// - Huffman-only when deflating a 32 KiB sample at level 1 comes out no smaller than the
//   sample's order-0 entropy bound (what Huffman coding alone reaches): random data over a
//   small alphabet, such as base64 or hex of random bytes, where LZ77 finds nothing;
// - deflate at the configured level otherwise (text, databases, zeros: anything that repeats).
import { promisify } from 'node:util';
import { constants, deflateRaw, gzip, type ZlibOptions } from 'node:zlib';

const gzipAsync = promisify(gzip) as (data: Buffer, options: ZlibOptions) => Promise<Buffer>;
const deflateRawAsync = promisify(deflateRaw) as (data: Buffer, options: ZlibOptions) => Promise<Buffer>;

export type BlockMethod = 'stored' | 'huffman' | 'deflate';

const SAMPLE = 4096;
const SAMPLES = 4;
/** Bits per byte above which a sample counts as random; text is ~5, deflated or random ~7.98. */
const RANDOM_ENTROPY = 7.9;
/** Below this, data is repetitive enough that LZ77 certainly pays (zeros, sparse files). */
const LOW_ENTROPY = 3;
const PROBE = 32 * 1024;
/** LZ77 must beat the entropy bound by 5% to be worth ~3.5× the CPU of Huffman-only. */
const LZ_GAIN = 0.95;

export async function compressBlock(data: Buffer, level: number, adaptive: boolean): Promise<{ out: Buffer; method: BlockMethod }> {
  const chunkSize = data.length + 64 * 1024;
  if (!adaptive) return { out: await gzipAsync(data, { level, chunkSize }), method: 'deflate' };
  const entropy = sampledEntropy(data);
  if (entropy !== undefined && entropy.min > RANDOM_ENTROPY) return { out: await gzipAsync(data, { level: 0, chunkSize }), method: 'stored' };
  if (entropy !== undefined && entropy.min > LOW_ENTROPY && data.length >= 4 * PROBE) {
    const start = Math.floor((data.length - PROBE) / 2);
    const probe = await deflateRawAsync(data.subarray(start, start + PROBE), { level: 1 });
    const bound = (entropy.mean / 8) * PROBE;
    if (probe.length >= bound * LZ_GAIN) {
      return { out: await gzipAsync(data, { level, strategy: constants.Z_HUFFMAN_ONLY, chunkSize }), method: 'huffman' };
    }
  }
  return { out: await gzipAsync(data, { level, chunkSize }), method: 'deflate' };
}

/** Order-0 byte entropy of a few evenly spaced samples: the lowest and the mean, in bits/byte. */
export function sampledEntropy(data: Buffer): { min: number; mean: number } | undefined {
  if (data.length < SAMPLE * SAMPLES) return undefined;
  const counts = new Uint32Array(256);
  const step = Math.floor((data.length - SAMPLE) / (SAMPLES - 1));
  let min = 8;
  let sum = 0;
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
    min = Math.min(min, entropy);
    sum += entropy;
  }
  return { min, mean: sum / SAMPLES };
}
