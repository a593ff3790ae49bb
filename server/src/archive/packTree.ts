import { PassThrough, type Readable } from 'node:stream';
import * as tar from 'tar';

export interface PackTreeOptions {
  /** The folder the entries are relative to. */
  readonly cwd: string;
  /**
   * Relative paths to archive, each exactly once and parents before children; folders are not
   * recursed into, so the caller decides every entry (tracked files only, `.git` without locks…).
   */
  readonly entries: readonly string[];
  /** Called for each entry as it is written, with its size (0 for non-files). */
  readonly onEntry?: (path: string, size: number) => void;
}

/**
 * Streams a tar of chosen entries of a local folder, read from disk as it is sent: nothing is
 * buffered beyond tar's own block. Owners are left out (`portable`: the receiver decides), and
 * setuid/setgid bits are dropped. Symbolic links are archived as links, never followed.
 */
export function packTree(options: PackTreeOptions): Readable {
  const out = new PassThrough();
  const pack = tar.c(
    {
      cwd: options.cwd,
      portable: true,
      noDirRecurse: true,
      follow: false,
      // Many small files: tar's per-file open/read/close dominate, so keep more in flight.
      jobs: 16,
      onWriteEntry: (entry) => {
        if (entry.stat) entry.stat.mode &= ~0o6000;
        options.onEntry?.(entry.path, entry.type === 'File' ? (entry.stat?.size ?? 0) : 0);
      },
      // A file that vanished or cannot be read must fail the copy, not leave a hole in it.
      strict: true,
    },
    [...options.entries],
  );
  pack.on('error', (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  pack.pipe(out);
  return out;
}
