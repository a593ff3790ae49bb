import * as l10n from '@vscode/l10n';
import type { WorkspaceImportMode } from '../../../protocol/src';
import { packTree } from '../archive/packTree';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { ConflictError, OperationFailedError, RejectedError } from '../errors';
import type { OperationContext } from '../operation';
import type { ImportEntries, LocalRepo } from './importSource';
import { FINISH_SCRIPT, IMPORT_MARKER, ImportExit, parseFinished, parsePrepared, PREPARE_SCRIPT } from './importScripts';

export interface ImportJob {
  readonly engine: Engine;
  readonly containerId: string;
  readonly workload: string;
  readonly repoPath: string;
  readonly local: LocalRepo;
  readonly mode: WorkspaceImportMode;
  readonly entries: ImportEntries;
  readonly branch?: string;
  /** The commit the branch starts at (resolved in the local repo, which the copy carries). */
  readonly fromCommit?: string;
  readonly readOnly: boolean;
}

export interface ImportOutcome {
  readonly base?: string;
  readonly gitInContainer: boolean;
}

/**
 * Import, the named steps (each a crash point `workspace.import.<step>`), and what each leaves:
 *   prepare-target – the folder exists (empty) with the marker file `.berth-import-incomplete`;
 *   copy           – the streamed copy, still marked (a crash leaves a partial, marked copy);
 *   finish         – branch checked out, `.git/berth-base` written, marker removed, read-only;
 *   record         – Berth's own record of the base in its state folder (written by the caller).
 * A marked folder is Berth's unfinished work: the next import clears and refills it, and export
 * refuses it. An unmarked non-empty folder is never touched.
 */
export async function runImport(job: ImportJob, ctx: OperationContext): Promise<ImportOutcome> {
  crashPoint('workspace.import.prepare-target');
  ctx.progress.report(l10n.t('Preparing {0} in {1}', job.repoPath, job.workload));
  const prepared = await job.engine.exec(job.containerId, {
    cmd: ['sh', '-c', PREPARE_SCRIPT, 'berth-import', job.repoPath, IMPORT_MARKER, job.branch ? '1' : '0'],
    signal: ctx.signal,
  });
  checkPrepare(job, prepared.exitCode, prepared.stderr);
  const gitInContainer = parsePrepared(prepared.stdout);

  crashPoint('workspace.import.copy');
  const total = Math.max(1, job.entries.bytes);
  let sent = 0;
  let reported = 0;
  const tar = packTree({
    cwd: job.local.dir,
    entries: job.entries.entries,
    onEntry: (_path, size) => {
      sent += size;
      if (sent - reported < Math.max(total / 50, 1024 * 1024)) return;
      reported = sent;
      ctx.progress.report(l10n.t('Copying into {0}: {1} of {2} MiB', job.workload, (sent / 1048576).toFixed(1), (total / 1048576).toFixed(1)), Math.min(99, (100 * sent) / total));
    },
  });
  try {
    await job.engine.putArchive(job.containerId, job.repoPath, tar, ctx.signal, { copyUIDGID: true });
  } finally {
    tar.destroy();
  }

  crashPoint('workspace.import.finish');
  ctx.progress.report(l10n.t('Recording the base commit in {0}', job.workload));
  const finished = await job.engine.exec(job.containerId, {
    cmd: ['sh', '-c', FINISH_SCRIPT, 'berth-import', job.repoPath, IMPORT_MARKER, job.local.head ?? '', job.branch ?? '', job.fromCommit ?? '', job.readOnly ? '1' : '0'],
    signal: ctx.signal,
  });
  checkFinish(job, finished.exitCode, finished.stderr);
  const base = parseFinished(finished.stdout);
  return { ...(base ? { base } : {}), gitInContainer };
}

function checkPrepare(job: ImportJob, code: number, stderr: string): void {
  const step = 'prepare-target';
  switch (code) {
    case 0:
      return;
    case ImportExit.NoGitForBranch:
      throw new RejectedError(l10n.t('{0} has no git, which --branch needs. Import without --branch, or use a container with git.', job.workload), { step });
    case ImportExit.NotAFolder:
      throw new ConflictError(l10n.t('{0} in {1} exists and is not a folder.', job.repoPath, job.workload), { path: job.repoPath, step });
    case ImportExit.NotEmpty:
      throw new ConflictError(l10n.t('{0} in {1} is not empty. Empty it, or import into another path (--path).', job.repoPath, job.workload), { path: job.repoPath, step });
    case 126:
    case 127:
      throw new RejectedError(l10n.t('{0} has no shell (sh), which import needs.', job.workload), { step });
    default:
      throw new OperationFailedError(l10n.t('Preparing {0} in {1} failed (code {2}): {3}', job.repoPath, job.workload, code, stderr.trim()), { path: job.repoPath, step });
  }
}

function checkFinish(job: ImportJob, code: number, stderr: string): void {
  switch (code) {
    case 0:
      return;
    case ImportExit.CheckoutFailed:
      throw new ConflictError(l10n.t('Checking out the branch {0} in {1} failed; the copy stays marked as unfinished, so run the import again after fixing this: {2}', job.branch ?? '', job.workload, stderr.trim()), { step: 'checkout' });
    case ImportExit.ReadOnlyFailed:
      throw new OperationFailedError(l10n.t('Removing write permission in {0} failed: {1}', job.repoPath, stderr.trim()), { step: 'read-only' });
    default:
      throw new OperationFailedError(l10n.t('Finishing the import into {0} failed (code {1}): {2}', job.repoPath, code, stderr.trim()), { path: job.repoPath, step: 'finish' });
  }
}
