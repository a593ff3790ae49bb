import { lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { RejectedError } from '../errors';
import { isolatedGitEnv, runLocal } from './localProcess';

/** Keys of a container repo's config that the host's git may see (they define how to read it). */
const KEPT_CONFIG = /^(core\.(repositoryformatversion|filemode|symlinks|ignorecase|precomposeunicode|autocrlf|eol|safecrlf|checkroundtripencoding)|extensions\.[a-z0-9]+)$/;

/**
 * Makes a repo copied out of a container safe to hand to the host's git. The copy comes from a
 * container, so it is untrusted input: its config could name commands (core.fsmonitor, filter
 * drivers, diff.external), its `.git` could be a link or a `gitdir:` file pointing at a repo on
 * this machine, and alternates could make git read this machine's objects.
 *
 * - `.git` must be a real folder with no symbolic links inside, and no `commondir` (worktree);
 * - alternates are removed (warned about: objects they supplied are then missing);
 * - `.git/config` is replaced by one holding only the keys that define the repo's format.
 *
 * Returns warnings for the user.
 */
export async function sanitizeRepoCopy(repo: string, home: string): Promise<string[]> {
  const warnings: string[] = [];
  const gitDir = join(repo, '.git');
  const info = await lstat(gitDir).catch(() => undefined);
  if (!info) throw new RejectedError(l10n.t('The copied folder has no .git folder, so it is not the top of a git repository.'));
  if (!info.isDirectory()) {
    throw new RejectedError(l10n.t('The repo\'s .git is a file or a link (a linked worktree or a submodule), which Berth can only export with git inside the container.'));
  }
  const link = await findSymlink(gitDir);
  if (link) throw new RejectedError(l10n.t('The repo\'s .git folder holds a symbolic link ({0}); Berth does not read such a repo on this machine.', link), { path: link });
  if (await exists(join(gitDir, 'commondir'))) {
    throw new RejectedError(l10n.t('The repo is a linked worktree (.git/commondir), which Berth can only export with git inside the container.'));
  }
  for (const name of ['alternates', 'http-alternates']) {
    const path = join(gitDir, 'objects', 'info', name);
    if (await exists(path)) {
      await rm(path, { force: true });
      warnings.push(l10n.t('The repo borrows objects from another repository in the container (objects/info/{0}); the copy does not have them.', name));
    }
  }
  const config = join(gitDir, 'config');
  let kept: [string, string][] = [];
  if (await exists(config)) {
    const listed = await runLocal('git', ['config', '--file', config, '--list', '-z'], { env: isolatedGitEnv(home) });
    if (listed.exitCode !== 0) throw new RejectedError(l10n.t('The repo\'s .git/config cannot be read: {0}', listed.stderr.trim()));
    kept = listed.stdout
      .toString('utf8')
      .split('\0')
      .filter((entry) => entry.length > 0)
      .map((entry): [string, string] => {
        const newline = entry.indexOf('\n');
        return newline < 0 ? [entry, 'true'] : [entry.slice(0, newline), entry.slice(newline + 1)];
      })
      .filter(([key]) => KEPT_CONFIG.test(key));
  }
  await writeFile(config, renderConfig(kept), { mode: 0o600 });
  return warnings;
}

function renderConfig(entries: readonly [string, string][]): string {
  const sections = new Map<string, string[]>();
  for (const [key, value] of entries) {
    const dot = key.indexOf('.');
    const section = key.slice(0, dot);
    const name = key.slice(dot + 1);
    const quoted = `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
    sections.set(section, [...(sections.get(section) ?? []), `\t${name} = ${quoted}`]);
  }
  const core = sections.get('core') ?? [];
  sections.set('core', [...core.filter((l) => !l.startsWith('\tbare ')), '\tbare = false']);
  return [...sections].map(([section, lines]) => `[${section}]\n${lines.join('\n')}\n`).join('');
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

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
