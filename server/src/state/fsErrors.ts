import { statSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import * as l10n from '@vscode/l10n';
import { echo } from '../echo';
import { NotFoundError, OperationFailedError, RejectedError, type BerthError } from '../errors';

/**
 * The one place where an operating-system error about a file becomes a typed Berth error: a
 * state folder that is a file, a read-only or full state directory, a path too long. The message
 * names the path (cut by `echo`) and what to do; `data.path` holds the whole path and
 * `data.detail` the errno code. Inside the state directory the advice also says how to choose
 * another one. The CLI and the RPC layer call it for every error that is not already typed, so
 * none of these ever reads "failed unexpectedly".
 *
 * Exit codes: ENOENT is NotFound (4), ENAMETOOLONG is Rejected (5, the path itself is unusable),
 * everything else is OperationFailed (1): the request was fine, the disk under it was not.
 */
export class FileSystemError extends OperationFailedError {}

/** errno codes this module turns into typed errors. */
const HANDLED = new Set(['ENOTDIR', 'EISDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENAMETOOLONG', 'ELOOP', 'EIO', 'EMFILE', 'ENFILE', 'ENOENT']);

interface ErrnoLike {
  readonly code: string;
  readonly path?: string;
  readonly dest?: string;
  readonly syscall?: string;
}

function errnoOf(error: unknown): ErrnoLike | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && HANDLED.has(code) ? (error as ErrnoLike) : undefined;
}

/** The typed error for an OS error about a file, or undefined when `error` is not one. */
export function fsError(error: unknown, stateDir?: string): BerthError | undefined {
  const errno = errnoOf(error);
  if (!errno) return undefined;
  const path = typeof errno.path === 'string' ? errno.path : undefined;
  const inState = stateDir !== undefined && path !== undefined && isInside(path, stateDir);
  // write(2) and fsync(2) errors carry no path; most of Berth's writes add it (withPath).
  const shown = path === undefined ? undefined : echo(path);
  const named = shown ?? l10n.t('a file Berth uses');
  const extra = { ...(path !== undefined ? { path } : {}), detail: errno.code };
  const options = { cause: error };
  const advise = (problem: string, fix: string) =>
    inState && stateDir !== undefined
      ? l10n.t('{0} Berth keeps its records in {1}: {2}, or choose another folder with BERTH_STATE_DIR or the berth.stateDir setting.', problem, echo(stateDir), fix)
      : l10n.t('{0} {1}.', problem, capitalized(fix));
  switch (errno.code) {
    case 'ENOTDIR': {
      const blocker = path === undefined ? undefined : fileInTheWay(path);
      const problem =
        blocker === undefined
          ? l10n.t('A part of {0} is not a folder.', named)
          : blocker === path
            ? l10n.t('{0} is a file, but Berth needs a folder there.', capitalized(named))
            : l10n.t('{0} is a file, but Berth needs a folder there (to reach {1}).', echo(blocker), named);
      return new FileSystemError(advise(problem, l10n.t('move that file out of the way')), { ...extra, ...(blocker !== undefined ? { path: blocker } : {}) }, options);
    }
    case 'EEXIST':
      // mkdir answers EEXIST when a file sits where the folder should be; other EEXISTs are
      // handled where they happen (O_EXCL creates) and reach here only as a file in the way.
      return new FileSystemError(advise(l10n.t('{0} is a file, but Berth needs a folder there.', capitalized(named)), l10n.t('move that file out of the way')), extra, options);
    case 'EISDIR':
      return new FileSystemError(advise(l10n.t('{0} is a folder, but Berth needs a file there.', capitalized(named)), l10n.t('move that folder out of the way')), extra, options);
    case 'EACCES':
    case 'EPERM':
      return new FileSystemError(
        advise(l10n.t('Berth is not allowed to change {0} (permission denied).', named), l10n.t('give the user that runs Berth write access to it')),
        extra,
        options,
      );
    case 'EROFS':
      return new FileSystemError(
        advise(l10n.t('{0} is on a read-only file system.', capitalized(named)), l10n.t('mount it read-write (reading snapshots works without it)')),
        extra,
        options,
      );
    case 'ENOSPC':
      return new FileSystemError(
        advise(
          shown !== undefined ? l10n.t('The file system that holds {0} is full.', shown) : l10n.t('A file system Berth writes to is full (no space left on the device).'),
          l10n.t('free some space (for example delete old snapshots with "berth snapshots prune")'),
        ),
        extra,
        options,
      );
    case 'EDQUOT':
      return new FileSystemError(
        advise(l10n.t('The disk quota for {0} is used up.', named), l10n.t('free some space or raise the quota')),
        extra,
        options,
      );
    case 'ENAMETOOLONG':
      return new RejectedError(l10n.t('The path {0} is too long for the file system; use a shorter one.', named), extra);
    case 'ELOOP':
      return new FileSystemError(advise(l10n.t('{0} leads through too many symbolic links (a loop?).', capitalized(named)), l10n.t('fix or remove the link')), extra, options);
    case 'EIO':
      return new FileSystemError(
        advise(l10n.t('Reading or writing {0} failed with an input/output error; the disk may be failing.', named), l10n.t('check the disk')),
        extra,
        options,
      );
    case 'EMFILE':
    case 'ENFILE':
      return new FileSystemError(l10n.t('Berth has too many files open ({0}); close other programs or raise the limit (ulimit -n) and try again.', errno.code), extra, options);
    case 'ENOENT':
      return new NotFoundError(l10n.t('There is no {0}; it may have been removed while Berth was working.', named), extra, options);
    default:
      return undefined;
  }
}

/** The message of `fsError`, else the error's own message: for warnings that are not thrown. */
export function fsErrorMessage(error: unknown, stateDir?: string): string {
  return fsError(error, stateDir)?.message ?? (error instanceof Error ? error.message : String(error));
}

/** Whether `error` says a file system cannot take writes (read-only, no permission, full). */
export function isUnwritable(error: unknown): boolean {
  const code = errnoOf(error)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EDQUOT';
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The first of `path` and its ancestors, from the root down, that is not a folder (ENOTDIR's cause). */
function fileInTheWay(path: string): string | undefined {
  const chain: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p || chain.length > 256) break;
  }
  for (const p of chain) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function capitalized(text: string): string {
  return text.length === 0 ? text : text[0]?.toLocaleUpperCase() + text.slice(1);
}
