import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { WorkspaceImportMode } from '../../../protocol/src';
import { NotFoundError, OperationFailedError, RejectedError } from '../errors';
import { runLocal } from './localProcess';

export interface LocalRepo {
  /** The repo's top folder, symbolic links resolved. */
  readonly dir: string;
  /** HEAD's commit; absent in a repo without commits. */
  readonly head?: string;
}

export interface ImportEntries {
  /** Relative paths, parents before children, for packTree. */
  readonly entries: string[];
  readonly bytes: number;
}

const LIST_LIMIT = 512 * 1024 * 1024;

/** Checks that `dir` is the top folder of a plain (non-worktree) git repository. */
export async function inspectLocalRepo(dir: string, env: NodeJS.ProcessEnv): Promise<LocalRepo> {
  if (!isAbsolute(dir)) throw new RejectedError(l10n.t('The folder to import must be an absolute path: {0}', dir), { path: dir });
  const real = await realpath(dir).catch(() => undefined);
  if (!real || !(await stat(real)).isDirectory()) throw new NotFoundError(l10n.t('There is no folder {0}.', dir), { path: dir });
  const top = await runLocal('git', ['rev-parse', '--show-toplevel'], { cwd: real, env });
  if (top.exitCode !== 0) throw new NotFoundError(l10n.t('{0} is not a git repository.', dir), { path: dir });
  const topDir = top.stdout.toString('utf8').trim();
  if (topDir !== real) {
    throw new RejectedError(l10n.t('{0} is inside the repository whose top folder is {1}; import that folder.', dir, topDir), { path: dir });
  }
  const gitDir = await lstat(join(real, '.git')).catch(() => undefined);
  if (!gitDir?.isDirectory()) {
    throw new RejectedError(l10n.t('The .git of {0} is not a folder (a linked worktree or a submodule); import the main repository.', dir), { path: dir });
  }
  const head = await runLocal('git', ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { cwd: real, env });
  const id = head.stdout.toString('utf8').trim();
  return { dir: real, ...(head.exitCode === 0 && id ? { head: id } : {}) };
}

/** The commit a revision names in the local repo (validated by the caller against options). */
export async function resolveLocalCommit(repo: LocalRepo, rev: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runLocal('git', ['rev-parse', '-q', '--verify', `${rev}^{commit}`], { cwd: repo.dir, env });
  const id = result.stdout.toString('utf8').trim();
  if (result.exitCode !== 0 || !id) throw new NotFoundError(l10n.t('"{0}" does not name a commit in {1}.', rev, repo.dir), { detail: rev });
  return id;
}

/** Git's own verdict on a new branch name, and that the branch does not exist yet. */
export async function checkNewBranch(repo: LocalRepo, name: string, env: NodeJS.ProcessEnv): Promise<void> {
  const format = await runLocal('git', ['check-ref-format', '--branch', name], { cwd: repo.dir, env });
  if (format.exitCode !== 0) throw new RejectedError(l10n.t('"{0}" is not a valid git branch name.', name));
  const exists = await runLocal('git', ['show-ref', '--verify', '--quiet', `refs/heads/${name}`], { cwd: repo.dir, env });
  if (exists.exitCode === 0) throw new RejectedError(l10n.t('The branch "{0}" already exists in {1}; choose a new name.', name, repo.dir));
}

/**
 * The entries to copy. `tracked`: every path in the index as it is in the working tree now
 * (modifications included; files deleted from the working tree are left out), their folders,
 * and `.git` without lock files. Submodules (gitlinks) are refused: their content is another
 * repository that `tracked` cannot copy. `full_copy`: everything under the folder.
 */
export async function importEntries(repo: LocalRepo, mode: WorkspaceImportMode, env: NodeJS.ProcessEnv): Promise<ImportEntries> {
  // Git's lock files are never copied: in the container they would make git think another git
  // is running.
  if (mode === 'full_copy') return walk(repo.dir, '', (path, isDir) => isDir || !(path.startsWith('.git/') && path.endsWith('.lock')));
  const listed = await runLocal('git', ['ls-files', '-z', '--stage'], { cwd: repo.dir, env, maxOutputBytes: LIST_LIMIT });
  if (listed.exitCode !== 0) throw new OperationFailedError(l10n.t('git ls-files failed in {0}: {1}', repo.dir, listed.stderr.trim()));
  const paths = new Set<string>();
  const submodules: string[] = [];
  for (const record of listed.stdout.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const mode = record.slice(0, record.indexOf(' '));
    const path = record.slice(tab + 1);
    if (mode === '160000') submodules.push(path);
    else paths.add(path);
  }
  if (submodules.length > 0) {
    throw new RejectedError(
      l10n.t('{0} has submodules ({1}), which the tracked mode cannot copy. Import with --mode full_copy to copy them as they are on disk.', repo.dir, submodules.slice(0, 10).join(', ')),
      { path: submodules[0] ?? repo.dir, detail: 'submodules' },
    );
  }
  const folders = new Set<string>();
  const files: string[] = [];
  let bytes = 0;
  for (const path of paths) {
    const info = await lstat(join(repo.dir, path)).catch(() => undefined);
    if (!info || !(info.isFile() || info.isSymbolicLink())) continue;
    files.push(path);
    bytes += info.isFile() ? info.size : 0;
    for (let dir = posix.dirname(path); dir !== '.'; dir = posix.dirname(dir)) folders.add(dir);
  }
  const git = await walk(repo.dir, '.git', (path, isDir) => isDir || !path.endsWith('.lock'));
  return { entries: [...[...folders].sort(), ...files, ...git.entries], bytes: bytes + git.bytes };
}

/** Pre-order walk (folders before their contents) of files, folders and symbolic links. */
async function walk(root: string, start: string, keep: (path: string, isDir: boolean) => boolean): Promise<ImportEntries> {
  const entries: string[] = [];
  let bytes = 0;
  const pending: string[] = [start];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    if (rel !== '') entries.push(rel);
    const names = await readdir(join(root, rel), { withFileTypes: true });
    const children: string[] = [];
    for (const entry of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (keep(path, true)) children.push(path);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (!keep(path, false)) continue;
        entries.push(path);
        if (entry.isFile()) bytes += (await lstat(join(root, path))).size;
      }
    }
    pending.push(...children.reverse());
  }
  return { entries, bytes };
}
