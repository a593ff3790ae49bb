import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import * as l10n from '@vscode/l10n';
import type { WorkspaceBaseSource, WorkspaceChangedFile, WorkspaceExportMethod } from '../../../protocol/src';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { BerthError, ConflictError, NotFoundError, OperationFailedError, RejectedError } from '../errors';
import type { OperationContext } from '../operation';
import { parseChangeList } from './changeList';
import { diffInContainer, diffOnCopy, type DiffRun } from './diffRunners';
import { ExportOutputParser, type ExportHeader } from './exportOutput';
import { ExportExit } from './exportScript';

export interface ExportJob {
  readonly engine: Engine;
  readonly containerId: string;
  readonly workload: string;
  readonly running: boolean;
  readonly repo: string;
  /** The revision the user named, already validated. */
  readonly base?: string;
  /** The base recorded in Berth's state folder, when there is one. */
  readonly stateBase?: string;
  /** Where the patch bytes go, already open; ended on success, destroyed on failure. */
  readonly patch: Writable;
  /** For kept exports on the fallback path: where to save old sides for the diff view. */
  readonly keepBaseBlobsIn?: string;
}

export interface ExportOutcome {
  readonly base: string;
  readonly baseSource: WorkspaceBaseSource;
  readonly baseRecord?: 'container' | 'state';
  readonly head?: string;
  readonly method: WorkspaceExportMethod;
  readonly files: WorkspaceChangedFile[];
  readonly patchBytes: number;
  readonly warnings: string[];
}

/**
 * Export, the named steps (each a crash point `workspace.export.<step>`; none leaves anything
 * in the user's repo):
 *   diff       – the script in the container: temp folder in the container's /tmp, removed
 *                by its trap (or by the next export's sweep after a SIGKILL);
 *   copy-out   – (fallback) the repo copied into a temp folder on this machine, removed in
 *                `finally`;
 *   diff-local – (fallback) the same script on the copy;
 *   write      – the patch in the caller's temp file, which the caller renames or removes.
 */
export async function runExport(job: ExportJob, ctx: OperationContext): Promise<ExportOutcome> {
  const out = job.patch;
  const warnings: string[] = [];
  const tempName = `berth-export.${randomBytes(8).toString('hex')}`;
  const args = { repo: job.repo, ...(job.base ? { base: job.base } : {}), ...(job.stateBase ? { stateBase: job.stateBase } : {}), tempName };
  try {
    let method: WorkspaceExportMethod = 'container-git';
    let parser = new ExportOutputParser(out);
    let run: DiffRun | undefined;
    if (job.running) {
      crashPoint('workspace.export.diff');
      ctx.progress.report(l10n.t('Computing the changes in {0} with the container\'s git', job.workload));
      run = await diffInContainer(job.engine, job.containerId, args, parser, ctx);
      await endParser(parser);
      if (!parser.header && (run.exitCode === ExportExit.NoShell126 || run.exitCode === ExportExit.NoShell127)) {
        // The engine also answers 126 when it could not start the process at all (a failed
        // fork on a loaded machine): try once more before concluding that there is no sh.
        parser = new ExportOutputParser(out);
        run = await diffInContainer(job.engine, job.containerId, args, parser, ctx);
        await endParser(parser);
      }
      const fallbackWhy = fallbackReason(run, parser);
      if (fallbackWhy) {
        // Nothing reached the patch file: the parser forwards bytes only after a valid header.
        warnings.push(fallbackWhy);
        run = undefined;
      }
    } else {
      warnings.push(l10n.t('{0} is not running, so Berth copied the repo out through the engine\'s archive API and used this machine\'s git.', job.workload));
    }
    if (!run) {
      method = 'local-fallback';
      crashPoint('workspace.export.copy-out');
      parser = new ExportOutputParser(out);
      const current = parser;
      run = await diffOnCopy(job.engine, job.containerId, job.repo, args, current, ctx, {
        ...(job.keepBaseBlobsIn ? { keepBaseBlobsIn: job.keepBaseBlobsIn } : {}),
        files: () => (current.header ? changeListOrNothing(current.header.list) : []),
      });
      warnings.push(...run.warnings);
      await endParser(parser);
    }
    crashPoint('workspace.export.write');
    const header = await checkRun(job, run, parser, method);
    out.end();
    await finished(out);
    return outcome(header, method, parser.patchBytes, warnings, job);
  } catch (error) {
    out.destroy();
    throw error;
  }
}

function outcome(header: ExportHeader, method: WorkspaceExportMethod, patchBytes: number, warnings: string[], job: ExportJob): ExportOutcome {
  const baseSource: WorkspaceBaseSource = header.source === 'empty' ? 'head' : header.source;
  for (const warning of header.warnings) {
    const [kind, id] = warning.split(' ');
    if (kind === 'record-missing') warnings.push(l10n.t('The base recorded at import ({0}) is no longer in the repo.', id ?? '?'));
    if (kind === 'submodules-unchecked') warnings.push(l10n.t('Berth could not check the submodules of {0} for changes inside them; such changes are not in this patch.', job.repo));
  }
  const files = readChangeList(header.list, 'list');
  warnings.push(...submoduleWarnings(files, readChangeList(header.dirty, 'dirty'), job.repo));
  if (baseSource === 'head') {
    warnings.push(
      header.source === 'empty'
        ? l10n.t('The repo has no commits yet, so every file is reported as added.')
        : l10n.t('No import base is recorded for {0} in {1}, so the changes are relative to HEAD: commits made in the container since the real base are NOT in this patch. Pass a base (--base) to include them.', job.repo, job.workload),
    );
  }
  return {
    base: header.base,
    baseSource,
    ...(header.record ? { baseRecord: header.record } : {}),
    ...(header.head ? { head: header.head } : {}),
    method,
    files,
    patchBytes,
    warnings,
  };
}

/**
 * A patch of a superproject records only which commit each submodule (gitlink) is at. Changes
 * inside a submodule are therefore never in it; export says so, naming each one, rather than
 * dropping them without a word. (Including them would need a second patch per submodule that
 * `git apply` in the superproject could not apply; exporting the submodule on its own gives
 * exactly that patch.)
 */
function submoduleWarnings(files: readonly WorkspaceChangedFile[], dirty: readonly WorkspaceChangedFile[], repo: string): string[] {
  const warnings: string[] = [];
  const isGitlink = (mode: string) => mode === '160000';
  for (const file of dirty) {
    if (!isGitlink(file.oldMode) && !isGitlink(file.newMode)) continue;
    warnings.push(l10n.t('The submodule {0} has changes inside it (modified or untracked files) that are NOT in this patch. Export it on its own: --path {1}/{0}', file.path, repo));
  }
  for (const file of files) {
    if (!isGitlink(file.newMode)) continue;
    warnings.push(l10n.t('{0} is a submodule (a nested repository): the patch records only that it is at commit {1}, not its files or the commits inside it. Export it on its own: --path {2}/{0}', file.path, file.newBlob.slice(0, 12), repo));
  }
  return warnings;
}

function readChangeList(list: Buffer, what: 'list' | 'dirty'): WorkspaceChangedFile[] {
  try {
    return parseChangeList(list);
  } catch (error) {
    const why = (error as Error).message;
    throw new OperationFailedError(
      what === 'list' ? l10n.t('The list of changed files that the export produced cannot be read: {0}', why) : l10n.t('The list of changed submodules that the export produced cannot be read: {0}', why),
    );
  }
}

function changeListOrNothing(list: Buffer): WorkspaceChangedFile[] {
  try {
    return parseChangeList(list);
  } catch {
    return [];
  }
}

/** Why the container path cannot be used, when the fallback should take over; else undefined. */
function fallbackReason(run: DiffRun, parser: ExportOutputParser): string | undefined {
  if (parser.header) return undefined;
  switch (run.exitCode) {
    case ExportExit.NoGit:
      return l10n.t('The container has no git, so Berth copied the repo out and used this machine\'s git.');
    case ExportExit.NoShell126:
    case ExportExit.NoShell127:
      return l10n.t('The container has no shell (sh), so Berth copied the repo out and used this machine\'s git.');
    case ExportExit.TempDir:
      return l10n.t('Berth could not create a temporary folder in the container\'s /tmp, so it copied the repo out and used this machine\'s git.');
    default:
      return undefined;
  }
}

async function checkRun(job: ExportJob, run: DiffRun, parser: ExportOutputParser, method: WorkspaceExportMethod): Promise<ExportHeader> {
  const step = method === 'container-git' ? 'diff' : 'diff-local';
  const stderr = run.stderr.trim().slice(0, 2000);
  if (run.exitCode === 0 && parser.header) return parser.header;
  const needsObjects: number[] = [ExportExit.BadBase, ExportExit.BrokenHead, ExportExit.StageFailed, ExportExit.DiffFailed];
  if (run.droppedAlternates && needsObjects.includes(run.exitCode)) {
    throw new RejectedError(
      l10n.t('{0} borrows objects from another repository in the container (objects/info/alternates). Berth does not follow that path on this machine, and the copy lacks objects the export needs. Install git in the container, or run "git repack -a -d" there and remove objects/info/alternates.', job.repo),
      { path: job.repo, step },
    );
  }
  switch (run.exitCode) {
    case ExportExit.BrokenHead:
      throw new NotFoundError(l10n.t('HEAD of {0} names a commit that the repo does not have; the repo is damaged or borrows its objects from elsewhere.', job.repo), { path: job.repo, step });
    case ExportExit.PathMissing:
      throw new NotFoundError(l10n.t('There is no folder {0} in {1}. Import a repo there first, or name the repo with --path.', job.repo, job.workload), { path: job.repo, step });
    case ExportExit.NotRepo:
      throw new NotFoundError(l10n.t('{0} in {1} is not a git repository.', job.repo, job.workload), { path: job.repo, step });
    case ExportExit.NotTopLevel:
      throw new RejectedError(l10n.t('{0} is inside the repository whose top folder is {1}; export that folder (--path {1}).', job.repo, stderr || '?'), { path: job.repo, step });
    case ExportExit.ImportIncomplete:
      throw new ConflictError(l10n.t('An import into {0} did not finish. Run the import again before exporting.', job.repo), { path: job.repo, step });
    case ExportExit.BadBase:
      throw new NotFoundError(l10n.t('The base "{0}" does not name a commit in {1}.', job.base ?? 'HEAD', job.repo), { step, detail: job.base ?? 'HEAD' });
    case ExportExit.StageFailed:
      throw new OperationFailedError(l10n.t('Staging the working tree into the temporary index failed: {0}', stderr), { step });
    case ExportExit.DiffFailed:
      throw new OperationFailedError(l10n.t('git diff failed: {0}', stderr), { step });
    default:
      break;
  }
  if (method === 'container-git' && (await settlesStopped(job, run.exitCode))) {
    throw new ConflictError(l10n.t('{0} stopped during the export. Nothing in its repo was changed; start it and export again.', job.workload), { step });
  }
  const why = parser.problem ? ` (${parser.problem})` : '';
  throw new OperationFailedError(l10n.t('The export script ended with code {0}{1}: {2}', run.exitCode, why, stderr), { step, detail: String(run.exitCode) });
}

/**
 * Whether the container is (about to be) stopped. A stop kills exec'd processes (137) a moment
 * before the engine records the new state, so a killed script waits up to 3 s for it.
 */
async function settlesStopped(job: ExportJob, exitCode: number): Promise<boolean> {
  const killed = exitCode < 0 || exitCode >= 128;
  const deadline = Date.now() + (killed ? 3000 : 0);
  for (;;) {
    try {
      if (!(await job.engine.inspectContainer(job.containerId)).State.Running) return true;
    } catch (error) {
      if (error instanceof BerthError && error.codeName === 'NotFound') return true;
      throw error;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the parser has handed every byte to the patch stream. */
async function endParser(parser: ExportOutputParser): Promise<void> {
  parser.end();
  await finished(parser);
}
