import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { isUnwritable } from './fsErrors';

/**
 * Whether the state directory takes writes: false when it is on a read-only file system or this
 * user may not write it. A directory that does not exist yet counts as writable (it is made on
 * first use). access(2) reports EROFS even to root, and root's bypass of permissions matches
 * what its writes would do.
 */
export async function stateDirWritable(dir: string): Promise<boolean> {
  try {
    await access(dir, constants.W_OK);
    return true;
  } catch (error) {
    return !isUnwritable(error);
  }
}

/** How many entries a folder holds, 0 when it is missing or unreadable (for "what waits" reports). */
export async function entryCount(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).length;
  } catch {
    return 0;
  }
}

/**
 * Throws ENOTDIR (with the path, for fsErrors.ts) when a file sits where a folder of the state
 * directory should be; a missing folder is fine. Readers that treat "cannot list" as "empty"
 * call it first, so a file in the way is reported instead of reading as "nothing stored".
 */
export async function requireFolder(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!info.isDirectory()) {
    throw Object.assign(new Error(`ENOTDIR: not a directory, scandir '${path}'`), { code: 'ENOTDIR', syscall: 'scandir', path });
  }
}
