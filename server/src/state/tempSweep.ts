import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_SUFFIX } from './atomicFile';
import { pidAlive, tempOwnerAlive } from './processOwner';

/**
 * A temp file of `writeFileAtomic`: `.<target>.<pid>-<start>-<host tag>.<12 hex>.berth-tmp`,
 * or, as written before the start time was recorded, `.<target>.<pid>.<12 hex>.berth-tmp`.
 */
const TEMP_NAME = /^\..+\.(\d+)(?:-(\d+)-([0-9a-f]{8}))?\.[0-9a-f]{12}\.berth-tmp$/;

/** Folders below the state directory that are looked into: enough for every record's folder. */
const MAX_DEPTH = 4;

/**
 * Folders the sweep does not enter. Snapshot objects are written into a temp folder and made
 * visible by one rename, never by `writeFileAtomic`, and there can be thousands of them;
 * `snapshots/tmp` is removed whole by the snapshot recovery, which knows its owners.
 */
const SKIPPED = new Set([join('snapshots', 'objects'), join('snapshots', 'tmp')]);

/**
 * Removes the temp files of atomic writes whose writer died before its rename (a kill, a power
 * cut): they are never data anyone needs, since the rename that would have made them the real
 * file never happened. A file is removed only when its writer is known to be gone: the PID no
 * longer runs with the recorded start time on this host. A file of a live process (it may be
 * writing right now), of another host, or of the old name form whose PID still runs, stays.
 * Symbolic links are never followed. Returns the paths removed.
 */
export async function sweepTempFiles(stateDir: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const relPath = rel ? join(rel, name) : name;
      if (name.endsWith(TEMP_SUFFIX)) {
        if (await orphaned(path, name)) {
          await rm(path, { force: true });
          removed.push(path);
        }
        continue;
      }
      if (depth >= MAX_DEPTH || SKIPPED.has(relPath)) continue;
      const info = await lstat(path).catch(() => undefined);
      if (info?.isDirectory()) await walk(path, relPath, depth + 1);
    }
  };
  await walk(stateDir, '', 1);
  return removed;
}

async function orphaned(path: string, name: string): Promise<boolean> {
  const match = TEMP_NAME.exec(name);
  if (!match) return false;
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile()) return false;
  const pid = Number(match[1]);
  if (match[2] === undefined || match[3] === undefined) return !pidAlive(pid);
  return !tempOwnerAlive({ pid, startTime: match[2], hostTag: match[3] });
}
