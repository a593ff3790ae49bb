// Guard 5: before the swap, the STAGED tree is read back on the engine host (stat, sha256sum,
// readlink in the helper) and compared with the manifest entry by entry: the same set of paths,
// types, owners, restored modes, sizes, content hashes and link targets. A short write, a full
// disk or anything else that left the staged copy different from the snapshot can therefore
// never be swapped in.
import { Writable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import type { ManifestEntry, ManifestVolume } from '../archive/manifest';
import { restoredMode } from '../archive/stagingTar';
import { OperationFailedError } from '../errors';
import type { Helper } from './helper';

const S_IFMT = 0o170000;
const TYPE_BITS: Readonly<Record<ManifestEntry['type'], number>> = { dir: 0o040000, file: 0o100000, symlink: 0o120000 };

export class StagedTreeMismatch extends OperationFailedError {}

/**
 * Compares the staged directory with the manifest's entries. Streams the helper's output
 * through a line parser, so memory holds the manifest and a set of seen paths, not the listing.
 */
export async function verifyStagedTree(helper: Helper, helperDir: string, stageName: string, volume: ManifestVolume, signal?: AbortSignal): Promise<void> {
  const checker = new StagedChecker(volume);
  let rest = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, done) {
      rest += chunk.toString('utf8');
      let nl;
      while ((nl = rest.indexOf('\n')) >= 0) {
        checker.line(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
      done();
    },
  });
  await helper.run(['verify', helperDir, stageName], { ...(signal ? { signal } : {}), stdout, what: 'verify' });
  if (rest !== '') checker.line(rest);
  checker.finish();
}

/** The comparison itself, fed line by line (exported for unit tests). */
export class StagedChecker {
  private readonly declared: Map<string, ManifestEntry>;
  private readonly seen = new Set<string>();
  private readonly hashed = new Set<string>();
  private readonly linked = new Set<string>();
  private section = '';
  private pendingLink: string | undefined;
  private ended = false;
  private problem: string | undefined;

  constructor(private readonly volume: ManifestVolume) {
    this.declared = new Map(volume.entries.map((e) => [e.path, e]));
  }

  line(line: string): void {
    if (this.problem !== undefined) return;
    if (line.startsWith('@@')) {
      this.section = line.slice(2);
      if (this.section === 'end') this.ended = true;
      return;
    }
    if (this.section === 'stat') this.stat(line);
    else if (this.section === 'sha') this.sha(line);
    else if (this.section === 'link') this.link(line);
  }

  finish(): void {
    if (this.problem === undefined && !this.ended) this.fail(l10n.t('the listing of the staged tree ended early'));
    if (this.problem === undefined) {
      for (const e of this.volume.entries) {
        if (!this.seen.has(e.path)) {
          this.fail(l10n.t('"{0}" is missing', e.path));
          break;
        }
        if (e.type === 'file' && !this.hashed.has(e.path)) {
          this.fail(l10n.t('"{0}" was not read back', e.path));
          break;
        }
        if (e.type === 'symlink' && !this.linked.has(e.path)) {
          this.fail(l10n.t('the link "{0}" was not read back', e.path));
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

  private stat(line: string): void {
    const match = /^([0-9a-f]+) (\d+) (\d+) (\d+) (.+)$/.exec(line);
    if (!match) return this.fail(l10n.t('unreadable listing line "{0}"', line.slice(0, 200)));
    const path = relative(match[5] ?? '');
    const e = path === undefined ? undefined : this.declared.get(path);
    if (path === undefined || !e) return this.fail(l10n.t('"{0}" is not in the snapshot', match[5] ?? ''));
    if (this.seen.has(path)) return this.fail(l10n.t('"{0}" is listed twice', path));
    this.seen.add(path);
    const raw = parseInt(match[1] ?? '', 16);
    const [uid, gid, size] = [Number(match[2]), Number(match[3]), Number(match[4])];
    if ((raw & S_IFMT) !== TYPE_BITS[e.type]) return this.fail(l10n.t('"{0}" is not a {1}', path, e.type));
    if (e.type !== 'symlink' && (raw & 0o7777) !== restoredMode(e.mode)) {
      return this.fail(l10n.t('"{0}" has mode {1}, expected {2}', path, (raw & 0o7777).toString(8), restoredMode(e.mode).toString(8)));
    }
    if (uid !== e.uid || gid !== e.gid) return this.fail(l10n.t('"{0}" is owned by {1}:{2}, expected {3}:{4}', path, uid, gid, e.uid, e.gid));
    if (e.type === 'file' && size !== e.size) return this.fail(l10n.t('"{0}" has {1} bytes, expected {2}', path, size, e.size));
  }

  private sha(line: string): void {
    // GNU sha256sum marks a name holding a backslash or newline with a leading "\" and escapes it.
    const escaped = line.startsWith('\\');
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(escaped ? line.slice(1) : line);
    if (!match) return this.fail(l10n.t('unreadable hash line "{0}"', line.slice(0, 200)));
    const name = escaped ? (match[2] ?? '').replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\')) : (match[2] ?? '');
    const path = relative(name);
    const e = path === undefined ? undefined : this.declared.get(path);
    if (path === undefined || !e || e.type !== 'file') return this.fail(l10n.t('"{0}" is not a file of the snapshot', name));
    if (this.hashed.has(path)) return this.fail(l10n.t('"{0}" was hashed twice', path));
    this.hashed.add(path);
    if (match[1] !== e.sha256) return this.fail(l10n.t('the content of "{0}" differs from the snapshot (SHA-256)', path));
  }

  private link(line: string): void {
    if (this.pendingLink === undefined) {
      this.pendingLink = line;
      return;
    }
    const name = this.pendingLink;
    this.pendingLink = undefined;
    const path = relative(name);
    const e = path === undefined ? undefined : this.declared.get(path);
    if (path === undefined || !e || e.type !== 'symlink') return this.fail(l10n.t('"{0}" is not a link of the snapshot', name));
    this.linked.add(path);
    if (line !== e.target) return this.fail(l10n.t('the link "{0}" points to "{1}", expected "{2}"', path, line, e.target ?? ''));
  }
}

/** `find .` prints `.` and `./a/b`; the manifest uses `.` and `a/b`. */
function relative(name: string): string | undefined {
  if (name === '.') return '.';
  return name.startsWith('./') ? name.slice(2) : undefined;
}
