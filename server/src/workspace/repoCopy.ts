import { lstat, mkdir, readdir, readFile, realpath, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as l10n from '@vscode/l10n';
import { RejectedError } from '../errors';
import { buildFreshGitDir } from './freshGitDir';

export interface PreparedCopy {
  readonly warnings: string[];
  /** objects/info/alternates was dropped somewhere: objects the repo borrowed may be missing. */
  readonly droppedAlternates: boolean;
}

/**
 * Makes a repo copied out of a container safe to hand to this machine's git. The copy is
 * untrusted input: every git dir in it (the top `.git`, a submodule's git dir under
 * `.git/modules/`, a nested repo's `.git`) could make git run commands or read paths on this
 * machine through its config, hooks, attributes or alternates. So each of them is replaced by a
 * git dir that Berth builds itself and fills with data only (freshGitDir.ts); git here never
 * reads a byte of configuration that came from the container.
 *
 * A nested repo's `.git` is rebuilt too (not deleted), because git looks into it: a submodule's
 * HEAD is what `git add -A` records, and git runs `git status` inside a submodule to see whether
 * it is modified, which would read that submodule's own config.
 *
 * Refused: a top `.git` that is a file or a link (a linked worktree or a submodule checkout whose
 * git dir is outside the copy), symbolic links inside any git dir, commondir (a linked worktree),
 * and a nested `.git` whose git dir is not inside the copy.
 */
export async function prepareRepoCopy(copy: string, containerPath: string, work: string, home: string): Promise<PreparedCopy> {
  const top = join(copy, '.git');
  const info = await lstat(top).catch(() => undefined);
  if (!info) throw new RejectedError(l10n.t('The copied folder has no .git folder, so it is not the top of a git repository.'));
  if (!info.isDirectory()) {
    throw new RejectedError(l10n.t('The repo\'s .git is a file or a link (a linked worktree or a submodule), which Berth can only export with git inside the container.'));
  }
  await checkGitDir(top, '.git');
  const copyReal = await realpath(copy);
  const repos: { readonly where: string; readonly source: string; readonly name: string }[] = [{ where: copy, source: top, name: '.' }];
  for (const dir of await findNestedRepos(copy)) {
    const name = relative(copy, dir);
    repos.push({ where: dir, source: await nestedGitDir(dir, name, copyReal, containerPath), name });
  }

  const fresh = join(work, 'fresh');
  await mkdir(fresh, { mode: 0o700 });
  const warnings: string[] = [];
  let droppedAlternates = false;
  for (const [i, repo] of repos.entries()) {
    const built = await buildFreshGitDir(repo.source, join(fresh, String(i)), home, work);
    if (built.droppedAlternates.length > 0) {
      droppedAlternates = true;
      warnings.push(l10n.t('The repo {0} borrows objects from another repository in the container ({1}); Berth does not read that on this machine, so the copy does not have them.', repo.name, built.droppedAlternates.join(', ')));
    }
    if (built.skippedRefs.length > 0) {
      warnings.push(l10n.t('Berth skipped {0} ref(s) of the repo {1} that it could not read safely: {2}', built.skippedRefs.length, repo.name, built.skippedRefs.slice(0, 5).join(', ')));
    }
  }
  // Only now, with every fresh git dir built (a submodule's source lives inside the top .git),
  // the container's git dirs go and Berth's take their places.
  for (const [i, repo] of repos.entries()) {
    await rm(join(repo.where, '.git'), { recursive: true, force: true });
    await rename(join(fresh, String(i)), join(repo.where, '.git'));
  }
  return { warnings, droppedAlternates };
}

/** Folders below the top (not inside any .git) that hold a `.git` entry of any kind. */
async function findNestedRepos(copy: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [copy];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const entries = await readdir(dir, { withFileTypes: true });
    if (dir !== copy && entries.some((e) => e.name === '.git')) found.push(dir);
    for (const entry of entries) if (entry.isDirectory() && entry.name !== '.git') pending.push(join(dir, entry.name));
  }
  return found.sort();
}

/** The git dir of a nested repo, which must be a folder inside the copy. */
async function nestedGitDir(dir: string, name: string, copyReal: string, containerPath: string): Promise<string> {
  const dotGit = join(dir, '.git');
  const info = await lstat(dotGit);
  let source = dotGit;
  if (info.isFile()) {
    const text = info.size <= 4096 ? await readFile(dotGit, 'utf8') : '';
    const line = text.split('\n')[0] ?? '';
    if (!line.startsWith('gitdir: ')) throw refusedNested(name, l10n.t('its .git file does not name a git dir'));
    const target = line.slice('gitdir: '.length);
    if (isAbsolute(target)) {
      // Absolute paths name the container's files: map those inside the copied repo into the copy.
      const prefix = `${containerPath}/`;
      if (!target.startsWith(prefix)) throw refusedNested(name, l10n.t('its git dir is outside the repo'));
      source = join(copyReal, target.slice(prefix.length));
    } else {
      source = resolve(dir, target);
    }
  } else if (!info.isDirectory()) {
    throw refusedNested(name, l10n.t('its .git is a link'));
  }
  let real: string;
  try {
    real = await realpath(source);
  } catch {
    throw refusedNested(name, l10n.t('its git dir is not in the copy'));
  }
  if (!real.startsWith(copyReal + sep)) throw refusedNested(name, l10n.t('its git dir is outside the repo'));
  if (!(await lstat(real)).isDirectory()) throw refusedNested(name, l10n.t('its git dir is not a folder'));
  await checkGitDir(real, name);
  return real;
}

function refusedNested(name: string, why: string): RejectedError {
  return new RejectedError(l10n.t('The repo holds a nested repository at {0} that Berth cannot read safely on this machine ({1}). Export it with git inside the container.', name, why), { path: name });
}

async function checkGitDir(gitDir: string, name: string): Promise<void> {
  const link = await findSymlink(gitDir);
  if (link) throw new RejectedError(l10n.t('The git folder of {0} holds a symbolic link ({1}); Berth does not read such a repo on this machine.', name, link), { path: link });
  if (await lstat(join(gitDir, 'commondir')).catch(() => undefined)) {
    throw new RejectedError(l10n.t('The repo {0} is a linked worktree (commondir), which Berth can only export with git inside the container.', name));
  }
}

async function findSymlink(dir: string): Promise<string | undefined> {
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isSymbolicLink()) return path;
      if (entry.isDirectory()) pending.push(path);
    }
  }
  return undefined;
}
