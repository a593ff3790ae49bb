import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ownTempOwner } from './processOwner';

/** Temp files of atomic writes end with this, so the startup sweep can find orphans. */
export const TEMP_SUFFIX = '.berth-tmp';

/**
 * The temp file's name: `.<target>.<pid>-<start time>-<host tag>.<random>.berth-tmp`, so the
 * start-up sweep (tempSweep.ts) can tell a dead writer's leftover from a live write.
 */
export function tempNameFor(path: string): string {
  const owner = ownTempOwner();
  return join(dirname(path), `.${basename(path)}.${owner.pid}-${owner.startTime}-${owner.hostTag}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

/**
 * Writes a file atomically and durably: write the whole buffer to a temp file in the same
 * directory (looping on short writes), fsync it, rename over the target, fsync the directory.
 * write-file-atomic is not used: on a full disk it replaced a good file with a truncated one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const dir = dirname(path);
  const temp = tempNameFor(path);
  const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, offset);
      if (bytesWritten <= 0) throw new Error(`short write to ${temp}`);
      offset += bytesWritten;
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw withPath(error, path);
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

/**
 * Names the file an error is about when the OS did not: write(2) and fsync(2) errors (ENOSPC,
 * EDQUOT, EIO) carry no path, and a message about a full disk should say which file it was.
 */
export function withPath(error: unknown, path: string): unknown {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && (error as { path?: unknown }).path === undefined) {
    (error as { path?: string }).path = path;
  }
  return error;
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** fsync a directory so a rename or unlink inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads a JSON file defensively: a missing file is `undefined`; unreadable or malformed JSON,
 * or a value the validator refuses, is reported through `onCorrupt` and treated as missing, so
 * one damaged record never takes the backend down.
 */
export async function readJsonFile<T>(
  path: string,
  validate: (value: unknown) => T | undefined,
  onCorrupt: (why: string) => void = () => undefined,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    onCorrupt(`cannot read ${path}: ${(error as Error).message}`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => (key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : v));
  } catch (error) {
    onCorrupt(`${path} is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
  const valid = validate(value);
  if (valid === undefined) onCorrupt(`${path} does not have the expected shape`);
  return valid;
}
