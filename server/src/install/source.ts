import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { resolveLink, type TreeView } from '../archive/linkResolver';
import { cutLongRuns, echo, quoted } from '../echo';
import { NotFoundError, RejectedError } from '../errors';
import { throwIfCancelled } from '../operation';
import { sanitizeVersion } from './names';

export interface SourceEntry {
  /** POSIX path relative to the plugin folder, without a leading `./`. */
  readonly path: string;
  readonly type: 'dir' | 'file' | 'symlink';
  /** Permission bits only: setuid, setgid and sticky are stripped; directories keep u+rwx. */
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  /** A symlink's target, as written (relative, resolving inside the plugin). */
  readonly target?: string;
}

export interface PluginSource {
  /** The folder's real path. */
  readonly folder: string;
  readonly entries: readonly SourceEntry[];
  readonly files: number;
  readonly bytes: number;
  /** `version` of the folder's plugin.json, when it has a usable one. */
  readonly version?: string;
}

/** Names the install writes itself at the top of the plugin directory. */
export const RESERVED_TOP_NAMES: ReadonlySet<string> = new Set(['.complete', '.complete.tmp', '.berth-end']);

const MAX_ENTRIES = 100_000;
const MAX_DEPTH = 64;
const MAX_PATH_BYTES = 4096;
const MAX_SYMLINK_HOPS = 40;
const STICKY = 0o1000;

/**
 * Walks a plugin folder without following symlinks and refuses what must not be installed,
 * naming the path: devices, FIFOs and sockets; absolute symlinks; relative symlinks that resolve
 * outside the plugin (resolved component by component through the plugin's own symlinks, so
 * `a -> l/../x` with `l -> .` is caught); names that are not valid UTF-8; Berth's reserved
 * names. Internal relative symlinks are kept as symlinks. Nothing is read but plugin.json.
 */
export async function scanPluginFolder(folder: string, signal?: AbortSignal): Promise<PluginSource> {
  if (!isAbsolute(folder)) {
    throw new RejectedError(l10n.t('The plugin folder must be an absolute path, not {0}.', quoted(folder)), { path: folder });
  }
  let top: string;
  try {
    top = await realpath(folder);
  } catch (error) {
    throw new NotFoundError(l10n.t('The plugin folder {0} does not exist or cannot be read: {1}', echo(folder), cutLongRuns((error as Error).message)), { path: folder });
  }
  const topStat = await lstat(top);
  if (!topStat.isDirectory()) throw new RejectedError(l10n.t('{0} is not a folder.', echo(folder)), { path: folder });

  const entries: SourceEntry[] = [];
  let files = 0;
  let bytes = 0;
  const reject = (rel: string, why: string) => new RejectedError(l10n.t('Refusing to install {0}: {1}', echo(join(top, rel)), why), { path: join(top, rel) });

  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw reject(rel, l10n.t('folders are nested more than {0} levels deep.', MAX_DEPTH));
    const names = readdirSync(join(top, rel), { encoding: 'buffer' }).sort(Buffer.compare);
    for (const raw of names) {
      if (signal) throwIfCancelled(signal);
      // The walk is synchronous (one thread-pool round trip per entry costs more than the
      // syscall itself) but yields to the event loop now and then, so huge folders do not stall it.
      if (entries.length % 512 === 511) await new Promise((r) => setImmediate(r));
      const name = raw.toString('utf8');
      const path = rel === '' ? name : `${rel}/${name}`;
      if (!Buffer.from(name, 'utf8').equals(raw)) throw reject(path, l10n.t('its name is not valid UTF-8.'));
      if (rel === '' && RESERVED_TOP_NAMES.has(name)) throw reject(path, l10n.t('{0} is written by Berth itself and must not be part of a plugin.', name));
      if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw reject(path, l10n.t('its path is longer than {0} bytes.', MAX_PATH_BYTES));
      if (entries.length >= MAX_ENTRIES) throw reject(rel, l10n.t('the plugin has more than {0} entries.', MAX_ENTRIES));
      const info = lstatSync(join(top, path));
      const mtime = info.mtime;
      if (info.isDirectory()) {
        // Folders keep the sticky bit (a shared 1777 folder without it lets anyone delete
        // anyone's files) and get at least u+rwx (to be filled and removed); setuid and setgid
        // are dropped: tar as root would recreate them, and a setgid folder would hand its group
        // to everything the plugin later creates in it.
        entries.push({ path, type: 'dir', mode: (info.mode & (0o777 | STICKY)) | 0o700, size: 0, mtime });
        await walk(path, depth + 1);
      } else if (info.isFile()) {
        // Files: permission bits only. setuid/setgid would make a root-owned file (putArchive, or
        // tar run as root) run as root; the sticky bit means nothing on a Linux file.
        entries.push({ path, type: 'file', mode: info.mode & 0o777, size: info.size, mtime });
        files++;
        bytes += info.size;
      } else if (info.isSymbolicLink()) {
        const target = readlinkSync(join(top, path), 'utf8');
        checkSymlink(top, path, target, reject);
        entries.push({ path, type: 'symlink', mode: 0o777, size: 0, mtime, target });
      } else {
        const kind = info.isFIFO()
          ? l10n.t('a FIFO (named pipe)')
          : info.isSocket()
            ? l10n.t('a socket')
            : info.isBlockDevice()
              ? l10n.t('a block device')
              : info.isCharacterDevice()
                ? l10n.t('a character device')
                : l10n.t('a special file');
        throw reject(path, l10n.t('it is {0}; plugins may hold only files, folders and symlinks inside the plugin.', kind));
      }
    }
  };
  await walk('', 0);
  const version = manifestVersion(top);
  return { folder: top, entries, files, bytes, ...(version ? { version } : {}) };
}

function checkSymlink(top: string, linkPath: string, target: string, reject: (rel: string, why: string) => Error): void {
  if (target === '') throw reject(linkPath, l10n.t('it is a symlink with an empty target.'));
  if (target.startsWith('/')) {
    throw reject(linkPath, l10n.t('it is a symlink to the absolute path {0}; inside the container that names another file. Use a relative link inside the plugin.', echo(target)));
  }
  // Resolved by the one resolver shared with snapshots, through the plugin's own links (lstat
  // of the folder answers what is where), so `a -> l/../x` with `l -> .` is caught.
  const resolved = resolveLink(folderTree(top), linkPath, target, { maxHops: MAX_SYMLINK_HOPS });
  if (resolved.inside) return;
  if (resolved.why === 'loop') throw reject(linkPath, l10n.t('it is a symlink in a loop.'));
  if (resolved.why === 'absolute') throw reject(linkPath, l10n.t('it is a symlink to {0}, which leads through {1} outside the plugin.', echo(target), echo(resolved.through[resolved.through.length - 1] ?? linkPath)));
  throw reject(linkPath, l10n.t('it is a symlink to {0}, which points outside the plugin.', echo(target)));
}

/** The plugin folder as the resolver sees it: what lstat finds at each relative path. */
function folderTree(top: string): TreeView {
  return {
    lookup(path) {
      let info;
      try {
        info = lstatSync(join(top, path));
      } catch {
        return { kind: 'missing' };
      }
      if (info.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(join(top, path), 'utf8') };
      return { kind: info.isDirectory() ? 'dir' : 'other' };
    },
  };
}

function manifestVersion(top: string): string | undefined {
  try {
    const info = lstatSync(join(top, 'plugin.json'));
    if (!info.isFile() || info.size > 64 * 1024) return undefined;
    const json = JSON.parse(readFileSync(join(top, 'plugin.json'), 'utf8')) as { version?: unknown };
    return sanitizeVersion(json?.version);
  } catch {
    return undefined;
  }
}
