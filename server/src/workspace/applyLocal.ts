import { mkdtemp, realpath, rm, copyFile, mkdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { tmpdir } from 'node:os';
import * as l10n from '@vscode/l10n';
import { ConflictError, NotFoundError, OperationFailedError, RejectedError } from '../errors';
import { runLocal, userGitEnv } from './localProcess';

export interface ApplyOutcome {
  readonly how: 'clean' | '3way';
}

/**
 * Applies a patch to a local repo with `git apply --3way`, but only when that leaves no
 * conflicts: a dry run applies it first to a throwaway copy of the repo's index (with a
 * throwaway object folder), and any conflict there refuses the whole apply with git's message,
 * before a single file of the repo is touched. `--3way` implies `--index`, so git itself also
 * refuses (cleanly, before writing) when a touched file differs from the index.
 */
export async function applyPatchToRepo(patchFile: string, repoDir: string, signal: AbortSignal): Promise<ApplyOutcome> {
  const env = userGitEnv();
  const repo = await repoTop(repoDir, env);
  const git = (args: string[], extra: NodeJS.ProcessEnv = {}) => runLocal('git', args, { cwd: repo, env: { ...env, ...extra }, signal });
  const clean = (await git(['apply', '--check', patchFile])).exitCode === 0;
  if (!clean) {
    const indexPath = (await git(['rev-parse', '--git-path', 'index'])).stdout.toString().trim();
    const objects = (await git(['rev-parse', '--git-path', 'objects'])).stdout.toString().trim();
    const work = await mkdtemp(join(tmpdir(), 'berth-apply-'));
    try {
      const tempIndex = join(work, 'index');
      await mkdir(join(work, 'objects'));
      const realIndex = isAbsolute(indexPath) ? indexPath : join(repo, indexPath);
      if (await stat(realIndex).catch(() => undefined)) await copyFile(realIndex, tempIndex);
      const dry = await git(['apply', '--cached', '--3way', patchFile], {
        GIT_INDEX_FILE: tempIndex,
        GIT_OBJECT_DIRECTORY: join(work, 'objects'),
        GIT_ALTERNATE_OBJECT_DIRECTORIES: isAbsolute(objects) ? objects : join(repo, objects),
      });
      if (dry.exitCode !== 0) {
        const detail = `${dry.stdout.toString('utf8')}${dry.stderr}`.trim();
        throw new ConflictError(l10n.t('The patch does not apply cleanly to {0}, so nothing was changed. git said:\n{1}', repo, detail), { path: repo, step: 'check' });
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const applied = await git(['apply', '--3way', patchFile]);
  if (applied.exitCode !== 0) {
    throw new ConflictError(l10n.t('git apply --3way refused the patch in {0}: {1}', repo, applied.stderr.trim()), { path: repo, step: 'apply' });
  }
  return { how: clean ? 'clean' : '3way' };
}

async function repoTop(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (!isAbsolute(dir)) throw new RejectedError(l10n.t('The repository path must be absolute: {0}', dir), { path: dir });
  const real = await realpath(dir).catch(() => undefined);
  if (!real) throw new NotFoundError(l10n.t('There is no folder {0}.', dir), { path: dir });
  const top = await runLocal('git', ['rev-parse', '--show-toplevel'], { cwd: real, env });
  if (top.exitCode !== 0) throw new NotFoundError(l10n.t('{0} is not inside a git repository.', dir), { path: dir });
  const topPath = top.stdout.toString('utf8').trim();
  if (!topPath) throw new OperationFailedError(l10n.t('git did not name the top folder of {0}.', dir));
  return topPath;
}
