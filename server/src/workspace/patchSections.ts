import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { WorkspaceChangedFile } from '../../../protocol/src';

const HEADER = Buffer.from('\ndiff --git ');

/**
 * Byte offsets where each file's section (`diff --git …`) starts in a patch file, found in one
 * streamed pass. No content line can look like a header: text lines start with ' ', '+', '-' or
 * '\', and base85 lines hold no spaces.
 */
export async function sectionStarts(patchFile: string): Promise<{ starts: number[]; size: number }> {
  const starts: number[] = [];
  let tail: Buffer = Buffer.alloc(0);
  let position = 0;
  let first = true;
  for await (const chunk of createReadStream(patchFile) as AsyncIterable<Buffer>) {
    if (first && chunk.subarray(0, HEADER.length - 1).equals(HEADER.subarray(1))) starts.push(0);
    first = false;
    const buffer = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const offset = position - tail.length;
    for (let i = buffer.indexOf(HEADER); i >= 0; i = buffer.indexOf(HEADER, i + 1)) starts.push(offset + i + 1);
    tail = buffer.subarray(Math.max(0, buffer.length - (HEADER.length - 1)));
    position += chunk.length;
  }
  return { starts, size: position };
}

/**
 * Assigns sections to files in order (git prints both in the same order). A type change (file
 * to symlink, say) is printed as two sections, a deletion and a creation. Returns null when the
 * counts disagree, so the diff view says "not available" instead of showing the wrong text.
 */
export function assignSections(files: readonly WorkspaceChangedFile[], starts: readonly number[], size: number): [number, number][][] | null {
  const wanted = files.reduce((n, f) => n + (f.status === 'typeChanged' ? 2 : 1), 0);
  if (wanted !== starts.length) return null;
  const result: [number, number][][] = [];
  let next = 0;
  for (const file of files) {
    const count = file.status === 'typeChanged' ? 2 : 1;
    const ranges: [number, number][] = [];
    for (let k = 0; k < count; k++, next++) ranges.push([starts[next] ?? 0, starts[next + 1] ?? size]);
    result.push(ranges);
  }
  return result;
}

/** Reads one byte range of a file (a single file's patch section). */
export async function readRange(path: string, [start, end]: readonly [number, number]): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}
