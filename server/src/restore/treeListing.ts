// The helper's listing of a tree on the engine host (helper.sh `list_tree`), decoded:
// NUL-separated names, one line of numbers per name, and each symlink's target, framed by the
// link's own size. Names are exact bytes (names.ts form), relative to the listed directory.
import { nameFromBytes } from '../archive/names';

export type ListedType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev' | 'socket' | 'unknown';

export interface ListedEntry {
  /** "." for the listed directory itself, "a/b" below it. */
  readonly path: string;
  readonly type: ListedType;
  /** Permission bits (0..0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly inode: number;
  readonly links: number;
  readonly devMajor: number;
  readonly devMinor: number;
  target?: string;
}

const TYPES: ReadonlyMap<number, ListedType> = new Map([
  [0o140000, 'socket'],
  [0o120000, 'symlink'],
  [0o100000, 'file'],
  [0o060000, 'blockdev'],
  [0o040000, 'dir'],
  [0o020000, 'chardev'],
  [0o010000, 'fifo'],
]);

/** Collects the names, stats, links and targets records into a listing. */
export class TreeListing {
  readonly entries: ListedEntry[] = [];
  private names: string[] | undefined;
  private linkNames: string[] | undefined;
  private readonly byPath = new Map<string, ListedEntry>();
  complete = false;

  /** Takes one framed record; returns false for records that are not part of a listing. */
  record(name: string, part: Buffer): boolean {
    switch (name) {
      case 'names':
        this.names = splitNul(part).map(relative);
        return true;
      case 'stats':
        this.stats(part);
        return true;
      case 'links':
        this.linkNames = splitNul(part).map(relative);
        return true;
      case 'targets':
        this.targets(part);
        return true;
      default:
        return false;
    }
  }

  get(path: string): ListedEntry | undefined {
    return this.byPath.get(path);
  }

  private stats(part: Buffer): void {
    const names = this.names;
    if (!names) throw new Error('stats before names');
    const lines = part.toString('latin1').split('\n');
    if (lines.pop() !== '') throw new Error('the stats record does not end with a newline');
    if (lines.length !== names.length) throw new Error(`${names.length} names but ${lines.length} stat lines`);
    lines.forEach((line, i) => {
      const m = /^([0-9a-f]+) (\d+) (\d+) (\d+) (\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+)$/.exec(line);
      if (!m) throw new Error(`unreadable stat line "${line.slice(0, 100)}"`);
      const raw = parseInt(m[1] as string, 16);
      const entry: ListedEntry = {
        path: names[i] as string,
        type: TYPES.get(raw & 0o170000) ?? 'unknown',
        mode: raw & 0o7777,
        uid: Number(m[2]),
        gid: Number(m[3]),
        size: Number(m[4]),
        inode: Number(m[5]),
        links: Number(m[6]),
        devMajor: parseInt(m[7] as string, 16),
        devMinor: parseInt(m[8] as string, 16),
      };
      if (this.byPath.has(entry.path)) throw new Error('a name is listed twice');
      this.byPath.set(entry.path, entry);
      this.entries.push(entry);
    });
  }

  private targets(part: Buffer): void {
    const links = this.linkNames;
    if (!links) throw new Error('targets before links');
    let pos = 0;
    for (const path of links) {
      const entry = this.byPath.get(path);
      if (!entry || entry.type !== 'symlink') throw new Error('a listed link is not a symlink of the listing');
      // A symlink's size is the length of its target: that frames readlink's output.
      const end = pos + entry.size;
      if (end >= part.length || part[end] !== 0x0a) throw new Error('a link target does not have the length of its link');
      entry.target = nameFromBytes(part.subarray(pos, end));
      pos = end + 1;
    }
    if (pos !== part.length) throw new Error('the targets record holds more than the links');
    for (const e of this.entries) if (e.type === 'symlink' && e.target === undefined) throw new Error('a symlink was not read back');
    this.complete = true;
  }
}

export function splitNul(part: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < part.length) {
    const nul = part.indexOf(0, pos);
    if (nul < 0) throw new Error('a NUL-separated list does not end with NUL');
    out.push(part.subarray(pos, nul));
    pos = nul + 1;
  }
  return out;
}

/** `find .` prints `.` and `./a/b`; manifests use `.` and `a/b`. */
export function relative(raw: Buffer): string {
  const name = nameFromBytes(raw);
  if (name === '.') return '.';
  if (!name.startsWith('./')) throw new Error('a listed name is not below "."');
  return name.slice(2);
}
