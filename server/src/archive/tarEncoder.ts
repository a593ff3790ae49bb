// Encodes the tar headers Berth writes. Headers are node-tar's own Header (ustar), preceded by
// a per-entry PAX header when a field does not fit (long or non-ASCII paths, big ids or sizes),
// so what we write is read back by the same parser that validates it.
import { Header, Pax } from 'tar';

export const BLOCK = 512;
/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export interface EncodableEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Whole seconds. */
  readonly mtime: number;
  readonly linkpath?: string;
}

const TYPE_NAMES = { file: 'File', dir: 'Directory', symlink: 'SymbolicLink' } as const;

/** The header block(s) for one entry: [PAX header + body], then the ustar header. */
export function encodeHeader(entry: EncodableEntry): Buffer {
  const mtime = new Date(entry.mtime * 1000);
  const header = new Header({
    path: entry.path,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.size,
    mtime,
    type: TYPE_NAMES[entry.type],
    ...(entry.linkpath !== undefined ? { linkpath: entry.linkpath } : {}),
    uname: '',
    gname: '',
  });
  const needPax = header.encode();
  const block = header.block;
  if (!block) throw new Error('tar header encoding produced no block');
  if (!needPax) return block;
  const pax = new Pax({
    path: entry.path,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.size,
    ...(entry.linkpath !== undefined ? { linkpath: entry.linkpath } : {}),
  }).encode();
  return Buffer.concat([pax, block]);
}

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function paddingFor(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}
