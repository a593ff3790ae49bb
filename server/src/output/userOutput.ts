// The one place that writes to a path the user named (`--output FILE`, `snapshots export <file>`,
// a save dialog's choice). Berth never writes over such a path unless it is a regular file or
// absent: `--output /dev/full` once turned the device into a 40 MB regular file.
import { randomBytes } from 'node:crypto';
import { constants, fstatSync, type Stats } from 'node:fs';
import { lstat, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import { InvalidParamsError, NotFoundError, OperationFailedError, RejectedError } from '../errors';
import { fsyncDir, TEMP_SUFFIX } from '../state/atomicFile';

/**
 * What a user-named output is, decided before any work is done:
 * - `stdout`: `-`, or a path that is this process's standard output (`/dev/stdout`,
 *   `/proc/self/fd/1`, or the very file stdout was redirected to);
 * - `device` / `fifo`: an existing character device or FIFO (directly or through symbolic
 *   links): written to, never replaced (`/dev/null`, `/dev/full`, a terminal, a named pipe);
 * - `file`: an absent path or an existing regular file: written beside it and renamed over it
 *   whole. When the user named a symbolic link to a regular file, the file it leads to is
 *   replaced and the link stays.
 * Anything else (a folder, a block device, a socket, a link that leads nowhere) is refused.
 */
export type OutputKind = 'stdout' | 'device' | 'fifo' | 'file';

export interface OutputTarget {
  /** The path as the user named it (`-` for stdout). */
  readonly named: string;
  readonly kind: OutputKind;
  /** device/fifo: the path to open; file: the path that is created or replaced. */
  readonly path: string;
}

export interface UserOutputOptions {
  /**
   * This process's standard output, where it may write raw bytes (the CLI). The backend has
   * none: its stdout may be the RPC channel, so `-` and `/dev/stdout` are refused there.
   */
  readonly stdout?: Writable;
  /** Permission bits of a new file (the umask applies); a replaced file keeps its own. */
  readonly mode?: number;
}

/** Decides where a user-named output goes, and refuses what Berth must not write over. */
export async function resolveOutput(named: string, options: UserOutputOptions = {}): Promise<OutputTarget> {
  if (named === '-') {
    if (!options.stdout) throw new InvalidParamsError(l10n.t('"-" means standard output, which this process cannot write to; name a file.'));
    return { named, kind: 'stdout', path: '-' };
  }
  if (named === '') throw new InvalidParamsError(l10n.t('The output path is empty.'));
  const own = await lstat(named).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw outputError(error, named);
  });
  if (!own) {
    const parent = await stat(dirname(named)).catch(() => undefined);
    if (!parent?.isDirectory()) throw new NotFoundError(l10n.t('The folder {0} does not exist.', dirname(named)), { path: named });
    return { named, kind: 'file', path: named };
  }
  // Follow every link to what the path finally is; the link itself is never replaced.
  const info = own.isSymbolicLink() ? await stat(named).catch(() => undefined) : own;
  if (!info) throw new RejectedError(l10n.t('{0} is a symbolic link that leads to nothing; Berth does not create files through links. Name the file itself.', named), { path: named });
  if (isStandardOutput(info)) {
    // Through the process's own stream, so the bytes stay in order with what else it prints.
    if (options.stdout) return { named, kind: 'stdout', path: '-' };
    // The backend's stdout may be its RPC channel (a pipe) or a log file: never written here.
    // A terminal or /dev/null is just a device.
    if (!info.isCharacterDevice()) throw new RejectedError(l10n.t('{0} is this process\'s standard output, which it cannot write to; name a file.', named), { path: named });
  }
  if (info.isCharacterDevice()) return { named, kind: 'device', path: named };
  if (info.isFIFO()) return { named, kind: 'fifo', path: named };
  if (info.isFile()) {
    if (!own.isSymbolicLink()) return { named, kind: 'file', path: named };
    // Replace the file the link leads to, beside it (so the rename stays in its folder), and
    // only if resolving the path again lands on the same file.
    const real = await realpath(named);
    const again = await lstat(real).catch(() => undefined);
    if (!again?.isFile() || again.ino !== info.ino || again.dev !== info.dev) {
      throw new RejectedError(l10n.t('{0} is a symbolic link whose target Berth cannot pin down; name the file itself.', named), { path: named });
    }
    return { named, kind: 'file', path: real };
  }
  throw new RejectedError(
    l10n.t('{0} is {1}. Berth writes only to a new or regular file (replaced whole), a character device such as /dev/null, a FIFO, or "-" for standard output.', named, describe(info)),
    { path: named },
  );
}

/** Whether `info` is the file, pipe or terminal this process's stdout is. */
function isStandardOutput(info: Stats): boolean {
  try {
    const out = fstatSync(1);
    return out.dev === info.dev && out.ino === info.ino;
  } catch {
    return false;
  }
}

function describe(info: Stats): string {
  if (info.isDirectory()) return l10n.t('a folder');
  if (info.isBlockDevice()) return l10n.t('a block device');
  if (info.isSocket()) return l10n.t('a socket');
  return l10n.t('not a regular file');
}

/** The bytes going to one user-named output; `commit` makes them final, `abort` gives up. */
export interface OutputWriter {
  readonly target: OutputTarget;
  /** Writes every byte, in order; resolves when the destination has taken them. */
  write(chunk: Uint8Array): Promise<void>;
  /** The same as a stream (one pending write at a time, so backpressure holds). */
  readonly stream: Writable;
  /**
   * file: fsync, close, rename over the target, fsync its folder (`beforeReplace` runs between
   * the fsync and the rename, where a crash seam belongs); device/FIFO: close; stdout: nothing.
   */
  commit(hooks?: { readonly beforeReplace?: () => void }): Promise<void>;
  /** file: close and remove the temp file (the target is untouched); device/FIFO: close. */
  abort(): Promise<void>;
}

/**
 * Opens a resolved output. For a file this creates the temp file beside the target now, so the
 * rename is atomic; for a FIFO the open waits until a reader opens the other end, as any writer
 * to a FIFO does.
 */
export async function openOutput(target: OutputTarget, options: UserOutputOptions = {}): Promise<OutputWriter> {
  if (target.kind === 'stdout') {
    if (!options.stdout) throw new InvalidParamsError(l10n.t('"-" means standard output, which this process cannot write to; name a file.'));
    return streamWriter(target, options.stdout);
  }
  if (target.kind === 'device' || target.kind === 'fifo') {
    // No O_CREAT and no O_TRUNC: the device or pipe is written to, never made or emptied.
    const handle = await open(target.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY).catch((error: NodeJS.ErrnoException) => {
      throw outputError(error, target.named);
    });
    const info = await handle.stat();
    if (!info.isCharacterDevice() && !info.isFIFO()) {
      await handle.close();
      throw new RejectedError(l10n.t('{0} changed into something that is not a device or FIFO; nothing was written.', target.named), { path: target.named });
    }
    return handleWriter(target, handle, async () => {
      await handle.close();
    }, async () => {
      await handle.close().catch(() => undefined);
    });
  }
  return fileWriter(target, options);
}

async function fileWriter(target: OutputTarget, options: UserOutputOptions): Promise<OutputWriter> {
  const dir = dirname(target.path);
  const temp = join(dir, `.${basename(target.path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
  const existing = await lstat(target.path).catch(() => undefined);
  const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, options.mode ?? 0o666).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError(l10n.t('The folder {0} does not exist.', dir), { path: target.named });
    throw outputError(error, target.named);
  });
  if (existing?.isFile()) {
    // The replacement keeps the replaced file's permissions and, where allowed, its owner.
    await handle.chmod(existing.mode & 0o7777 & ~0o6000).catch(() => undefined);
    if (process.getuid?.() === 0) await handle.chown(existing.uid, existing.gid).catch(() => undefined);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return handleWriter(
    target,
    handle,
    async (hooks) => {
      try {
        await handle.sync().catch((error: NodeJS.ErrnoException) => {
          throw outputError(error, target.named);
        });
        await close();
        hooks?.beforeReplace?.();
        // The target may have changed since it was checked: still never replace anything but a
        // regular file (rename(2) would replace a device node or a link as readily as a file).
        const now = await lstat(target.path).catch(() => undefined);
        if (now && !now.isFile()) {
          throw new RejectedError(l10n.t('{0} is no longer a regular file; Berth did not replace it.', target.named), { path: target.named });
        }
        await rename(temp, target.path).catch((error: NodeJS.ErrnoException) => {
          throw outputError(error, target.named);
        });
      } catch (error) {
        await close().catch(() => undefined);
        await rm(temp, { force: true });
        throw error;
      }
      await fsyncDir(dir);
    },
    async () => {
      await close().catch(() => undefined);
      await rm(temp, { force: true });
    },
  );
}

function handleWriter(target: OutputTarget, handle: FileHandle, commit: OutputWriter['commit'], abort: () => Promise<void>): OutputWriter {
  const write = async (chunk: Uint8Array) => {
    let offset = 0;
    while (offset < chunk.length) {
      // Sequential writes (position null): devices and FIFOs have no positions.
      const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, null).catch((error: NodeJS.ErrnoException) => {
        throw outputError(error, target.named);
      });
      if (bytesWritten <= 0) throw new OperationFailedError(l10n.t('Writing to {0} stopped short.', target.named), { path: target.named });
      offset += bytesWritten;
    }
  };
  return { target, write, stream: writableOf(write), commit, abort };
}

function streamWriter(target: OutputTarget, out: Writable): OutputWriter {
  const write = (chunk: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (out.destroyed) {
        reject(new OperationFailedError(l10n.t('Standard output was closed.')));
        return;
      }
      if (out.write(chunk)) {
        resolve();
        return;
      }
      // One waiting writer at a time: a listener pair per blocked write is what leaked before.
      const settle = (error?: Error) => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onClose = () => settle(new OperationFailedError(l10n.t('Standard output was closed.')));
      const onError = (error: Error) => settle(new OperationFailedError(l10n.t('Writing to standard output failed: {0}', error.message)));
      out.once('drain', onDrain);
      out.once('close', onClose);
      out.once('error', onError);
    });
  return { target, write, stream: writableOf(write), commit: async () => undefined, abort: async () => undefined };
}

/** A Writable whose every write goes through `write`, one at a time. */
function writableOf(write: (chunk: Uint8Array) => Promise<void>): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      write(chunk).then(() => done(), done);
    },
  });
}

/** An errno from writing to the user's path, as a message that names the path and what to do. */
export function outputError(error: NodeJS.ErrnoException, named: string): Error {
  switch (error.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new OperationFailedError(l10n.t('There is no space left on {0}; nothing more could be written.', named), { path: named, detail: error.code });
    case 'EPIPE':
      return new OperationFailedError(l10n.t('Nothing reads from {0} any more (the reader went away).', named), { path: named, detail: error.code });
    case 'EACCES':
    case 'EPERM':
      return new RejectedError(l10n.t('Berth may not write to {0} (permission denied).', named), { path: named, detail: error.code });
    case 'EROFS':
      return new RejectedError(l10n.t('{0} is on a read-only file system.', named), { path: named, detail: error.code });
    case 'EISDIR':
      return new RejectedError(l10n.t('{0} is a folder; name a file in it.', named), { path: named, detail: error.code });
    case 'ENXIO':
    case 'ENODEV':
      return new RejectedError(l10n.t('{0} cannot be opened for writing (no such device, or no reader).', named), { path: named, detail: error.code });
    default:
      return error;
  }
}
