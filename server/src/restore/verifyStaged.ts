// Guard 5: before the swap, the STAGED tree is read back on the engine host (find, stat,
// readlink, sha256sum in the helper) and compared with the manifest entry by entry: the same set
// of names (as bytes), types, owners, restored modes, sizes, content hashes, link targets,
// device numbers, and hard links (names of one entry share one inode, and its link count is
// their number). A short write, a full disk or anything else that left the staged copy
// different from the snapshot can therefore never be swapped in. The helper's output is framed
// (framed.ts): no name or link target can be mistaken for another field.
import * as l10n from '@vscode/l10n';
import type { ManifestEntry, ManifestVolume } from '../archive/manifest';
import { displayName, nameToBytes } from '../archive/names';
import { restoredMode } from '../archive/stagingTar';
import { OperationFailedError } from '../errors';
import { FramedReader, type FramedRecord } from './framed';
import type { Helper } from './helper';
import { relative, splitNul, TreeListing, type ListedEntry } from './treeListing';

export class StagedTreeMismatch extends OperationFailedError {}

/** Compares the staged directory with the manifest's entries. */
export async function verifyStagedTree(helper: Helper, helperDir: string, stageName: string, volume: ManifestVolume, signal?: AbortSignal): Promise<void> {
  const checker = new StagedChecker(volume);
  const reader = new FramedReader((r) => checker.record(r));
  await helper.run(['verify', helperDir, stageName], { ...(signal ? { signal } : {}), stdout: reader.sink(), what: 'verify' });
  try {
    reader.finish();
  } catch (error) {
    checker.protocol((error as Error).message);
  }
  checker.finish();
}

/** The comparison itself, fed the helper's records (exported for unit tests). */
export class StagedChecker {
  private readonly declared: Map<string, ManifestEntry>;
  private readonly listing = new TreeListing();
  private readonly hashed = new Set<string>();
  private compared = false;
  private problem: string | undefined;

  constructor(private readonly volume: ManifestVolume) {
    this.declared = new Map(volume.entries.map((e) => [e.path, e]));
  }

  record(r: FramedRecord): void {
    if (this.problem !== undefined) return;
    try {
      if (r.name === 'batch') this.batch(r.parts[0] ?? Buffer.alloc(0), r.parts[1] ?? Buffer.alloc(0));
      else if (!this.listing.record(r.name, r.parts[0] ?? Buffer.alloc(0))) this.fail(l10n.t('the helper sent an unexpected record "{0}"', r.name));
      else if (this.listing.complete && !this.compared) this.compare();
    } catch (error) {
      this.protocol((error as Error).message);
    }
  }

  /** The helper's output could not be read as framed records. */
  protocol(message: string): void {
    this.fail(l10n.t('the listing of the staged tree is unreadable ({0})', message));
  }

  finish(): void {
    if (this.problem === undefined && !this.compared) this.fail(l10n.t('the listing of the staged tree ended early'));
    if (this.problem === undefined) {
      for (const e of this.volume.entries) {
        if (this.contentOf(e)?.type === 'file' && !this.hashed.has(e.path)) {
          this.fail(l10n.t('"{0}" was not read back', displayName(e.path)));
          break;
        }
      }
    }
    if (this.problem !== undefined) {
      throw new StagedTreeMismatch(
        l10n.t('The staged copy of volume {0} ({1}) does not match the snapshot: {2}. Nothing was swapped in.', this.volume.index, this.volume.target, this.problem),
        { step: 'restore.verify-staged' },
      );
    }
  }

  private fail(message: string): void {
    this.problem ??= message;
  }

  /** The entry whose content a name has: a hard link's target, else the entry itself. */
  private contentOf(e: ManifestEntry): ManifestEntry | undefined {
    return e.type === 'hardlink' ? this.declared.get(e.target ?? '') : e;
  }

  private compare(): void {
    this.compared = true;
    const inodes = new Map<string, number>();
    const owners = new Map<number, string>();
    const names = new Map<string, number>();
    for (const e of this.volume.entries) {
      const key = e.type === 'hardlink' ? (e.target ?? '') : e.path;
      names.set(key, (names.get(key) ?? 0) + 1);
    }
    for (const listed of this.listing.entries) {
      const e = this.declared.get(listed.path);
      const shown = displayName(listed.path);
      if (!e) return this.fail(l10n.t('"{0}" is not in the snapshot', shown));
      const content = this.contentOf(e);
      if (!content) return this.fail(l10n.t('"{0}" links to an entry that is not in the snapshot', shown));
      if (listed.type !== content.type) return this.fail(l10n.t('"{0}" is a {1}, expected a {2}', shown, listed.type, content.type));
      if (listed.type !== 'symlink' && listed.mode !== restoredMode(e.mode)) {
        return this.fail(l10n.t('"{0}" has mode {1}, expected {2}', shown, listed.mode.toString(8), restoredMode(e.mode).toString(8)));
      }
      if (listed.uid !== e.uid || listed.gid !== e.gid) return this.fail(l10n.t('"{0}" is owned by {1}:{2}, expected {3}:{4}', shown, listed.uid, listed.gid, e.uid, e.gid));
      if (listed.type === 'file' && listed.size !== content.size) return this.fail(l10n.t('"{0}" has {1} bytes, expected {2}', shown, listed.size, content.size));
      if (listed.type === 'symlink' && listed.target !== content.target) {
        return this.fail(l10n.t('the link "{0}" points to "{1}", expected "{2}"', shown, displayName(listed.target ?? ''), displayName(content.target ?? '')));
      }
      if ((listed.type === 'chardev' || listed.type === 'blockdev') && (listed.devMajor !== content.devMajor || listed.devMinor !== content.devMinor)) {
        return this.fail(l10n.t('the device "{0}" is {1}:{2}, expected {3}:{4}', shown, listed.devMajor, listed.devMinor, content.devMajor ?? -1, content.devMinor ?? -1));
      }
      if (listed.type !== 'dir') {
        // Every name of one entry shares one inode, which no other entry has, and the inode
        // has exactly that many names (the staged tree is new: nothing outside links to it).
        const key = e.type === 'hardlink' ? (e.target ?? '') : e.path;
        const inode = inodes.get(key);
        if (inode !== undefined && inode !== listed.inode) return this.fail(l10n.t('"{0}" is not a hard link of "{1}"', shown, displayName(key)));
        const holder = owners.get(listed.inode);
        if (holder !== undefined && holder !== key) return this.fail(l10n.t('"{0}" shares its inode with "{1}"', shown, displayName(holder)));
        inodes.set(key, listed.inode);
        owners.set(listed.inode, key);
        if (listed.links !== names.get(key)) return this.fail(l10n.t('"{0}" has {1} names, expected {2}', shown, listed.links, names.get(key) ?? 0));
      }
    }
    for (const e of this.volume.entries) {
      if (!this.listing.get(e.path)) return this.fail(l10n.t('"{0}" is missing', displayName(e.path)));
    }
  }

  /** One hashing batch: the files' names (NUL-separated) and sha256sum's output for them, in order. */
  private batch(namesPart: Buffer, hashes: Buffer): void {
    let pos = 0;
    for (const raw of splitNul(namesPart)) {
      const path = relative(raw);
      const line = hashLine(hashes, pos, Buffer.concat([Buffer.from('./'), nameToBytes(path)]));
      if (!line) return this.fail(l10n.t('unreadable hash output for "{0}"', displayName(path)));
      pos = line.next;
      const e = this.declared.get(path);
      const content = e ? this.contentOf(e) : undefined;
      if (!e || content?.type !== 'file') return this.fail(l10n.t('"{0}" is not a file of the snapshot', displayName(path)));
      if (this.hashed.has(path)) return this.fail(l10n.t('"{0}" was hashed twice', displayName(path)));
      this.hashed.add(path);
      if (line.sha256 !== content.sha256) return this.fail(l10n.t('the content of "{0}" differs from the snapshot (SHA-256)', displayName(path)));
    }
    if (pos !== hashes.length) this.fail(l10n.t('the hash output holds more than its batch'));
  }
}

/**
 * One line of sha256sum output for a file whose name Berth knows: `<hash>  <name>\n`. GNU
 * sha256sum marks a name holding a backslash, newline or carriage return with a leading "\"
 * and escapes those characters; busybox prints the name as it is. Either way the expected name
 * tells where the line ends, so no name can pass for another line.
 */
export function hashLine(out: Buffer, pos: number, name: Buffer): { sha256: string; next: number } | undefined {
  const escaped = out[pos] === 0x5c;
  const start = escaped ? pos + 1 : pos;
  const sha256 = out.toString('latin1', start, start + 64);
  if (!/^[0-9a-f]{64}$/.test(sha256) || out[start + 64] !== 0x20 || (out[start + 65] !== 0x20 && out[start + 65] !== 0x2a)) return undefined;
  const at = start + 66;
  // Older coreutils escape "\" and newline only, newer ones carriage return too.
  const forms = escaped ? [escapeName(name, true), escapeName(name, false)] : [name];
  for (const printed of forms) {
    const end = at + printed.length;
    if (end < out.length && out[end] === 0x0a && out.subarray(at, end).equals(printed)) return { sha256, next: end + 1 };
  }
  return undefined;
}

function escapeName(name: Buffer, carriageReturn: boolean): Buffer {
  const out: number[] = [];
  for (const byte of name) {
    if (byte === 0x5c) out.push(0x5c, 0x5c);
    else if (byte === 0x0a) out.push(0x5c, 0x6e);
    else if (byte === 0x0d && carriageReturn) out.push(0x5c, 0x72);
    else out.push(byte);
  }
  return Buffer.from(out);
}

export type { ListedEntry };
