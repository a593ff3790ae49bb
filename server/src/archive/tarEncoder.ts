// Encodes the tar headers Berth writes: a ustar header, preceded by a per-entry PAX header when
// a field does not fit. Names and link targets are written as their exact bytes (names.ts), which
// tar v7's Header and Pax cannot do: they take strings and encode them as UTF-8, so a name that
// is not UTF-8 would come out changed. What is written here is read back by scanTar (the raw
// reader and tar's Parser), by the engine's Go tar reader (restore), GNU tar and Python.
import { nameToBytes } from './names';

export const BLOCK = 512;
/** Two zero blocks end a tar archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export type EncodableType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'chardev' | 'blockdev';

export interface EncodableEntry {
  /** The archive path (names.ts form); directories end with `/`. */
  readonly path: string;
  readonly type: EncodableType;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Whole seconds. */
  readonly mtime: number;
  /** Symlinks: the target; hard links: the archive path of the entry linked to. */
  readonly linkpath?: string;
  readonly devMajor?: number;
  readonly devMinor?: number;
}

const TYPE_FLAGS: Readonly<Record<EncodableType, string>> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/** The header block(s) for one entry: [PAX header + records], then the ustar header. */
export function encodeHeader(entry: EncodableEntry): Buffer {
  const path = nameToBytes(entry.path);
  const link = entry.linkpath !== undefined ? nameToBytes(entry.linkpath) : Buffer.alloc(0);
  const records: [string, Buffer][] = [];
  if (path.length > 100) records.push(['path', path]);
  if (link.length > 100) records.push(['linkpath', link]);
  if (entry.size > MAX_OCTAL_11) records.push(['size', Buffer.from(String(entry.size))]);
  if (entry.uid > MAX_OCTAL_7) records.push(['uid', Buffer.from(String(entry.uid))]);
  if (entry.gid > MAX_OCTAL_7) records.push(['gid', Buffer.from(String(entry.gid))]);
  if (entry.mtime < 0 || entry.mtime > MAX_OCTAL_11) records.push(['mtime', Buffer.from(String(entry.mtime))]);
  // A name that is not UTF-8 in a PAX record is marked binary, so tools that convert PAX text
  // from UTF-8 to the local charset (POSIX says PAX values are UTF-8) leave its bytes alone.
  if (records.some(([k, v]) => (k === 'path' || k === 'linkpath') && !isAsciiOrUtf8(v))) records.unshift(['hdrcharset', Buffer.from('BINARY')]);

  const block = Buffer.alloc(BLOCK);
  // A name that did not fit holds its first bytes (the PAX record has the whole value), so
  // readers that ignore PAX, and tar v7's Parser, still see a non-empty name; never one that ends
  // with "/" for a non-directory, which old-style readers would take for a directory.
  ustarName(path, entry.type === 'dir').copy(block, 0);
  octal(block, 100, 8, entry.mode & 0o7777);
  octal(block, 108, 8, Math.min(entry.uid, MAX_OCTAL_7));
  octal(block, 116, 8, Math.min(entry.gid, MAX_OCTAL_7));
  octal(block, 124, 12, entry.size > MAX_OCTAL_11 ? 0 : entry.size);
  octal(block, 136, 12, Math.min(Math.max(entry.mtime, 0), MAX_OCTAL_11));
  block.write(TYPE_FLAGS[entry.type], 156, 1, 'latin1');
  link.copy(block, 157, 0, Math.min(link.length, 100));
  block.write('ustar\u000000', 257, 8, 'latin1');
  octal(block, 329, 8, entry.devMajor ?? 0);
  octal(block, 337, 8, entry.devMinor ?? 0);
  checksum(block);
  if (records.length === 0) return block;
  return Buffer.concat([paxHeader(records, entry.mtime), block]);
}

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function paddingFor(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function paxHeader(records: readonly [string, Buffer][], mtime: number): Buffer {
  const body = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)));
  const block = Buffer.alloc(BLOCK);
  block.write('PaxHeader/entry', 0, 100, 'latin1');
  octal(block, 100, 8, 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, body.length);
  octal(block, 136, 12, Math.min(Math.max(mtime, 0), MAX_OCTAL_11));
  block.write('x', 156, 1, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  checksum(block);
  return Buffer.concat([block, body, paddingFor(body.length)]);
}

/** "<length> <key>=<value>\n", the length counting the whole record including its own digits. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = 1 + Buffer.byteLength(key) + 1 + value.length + 1;
  let length = rest + String(rest).length;
  if (String(length).length + rest !== length) length = rest + String(length).length;
  return Buffer.concat([Buffer.from(`${length} ${key}=`, 'latin1'), value, Buffer.from('\n')]);
}

function ustarName(path: Buffer, isDir: boolean): Buffer {
  if (path.length <= 100) return path;
  let cut = path.subarray(0, 100);
  if (!isDir) {
    let end = cut.length;
    while (end > 0 && cut[end - 1] === 0x2f) end--;
    cut = end > 0 ? cut.subarray(0, end) : Buffer.from('_');
  }
  return cut;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

function checksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

function isAsciiOrUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}
