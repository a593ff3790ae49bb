import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import type {
  WorkspaceApplyResult,
  WorkspaceExportResult,
  WorkspaceFileContentResult,
  WorkspaceImportResult,
  Workload,
} from '../../../protocol/src';
import type { ParsedParams, WorkspaceExportParams, WorkspaceImportParams } from '../../../protocol/src/params';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { BerthError, ConflictError, InvalidParamsError, NotFoundError, RejectedError } from '../errors';
import { acquireLock, busyError, lockHolder } from '../locks';
import type { OperationContext } from '../operation';
import { openOutput, resolveOutput, type OutputTarget, type OutputWriter, type UserOutputOptions } from '../output/userOutput';
import type { WorkloadService } from '../workloads/workloadService';
import { applyPatchToRepo } from './applyLocal';
import { runExport } from './exportWorkspace';
import { exportedFileContent } from './fileContent';
import { checkNewBranch, importEntries, inspectLocalRepo, resolveLocalCommit } from './importSource';
import { runImport } from './importWorkspace';
import { userGitEnv } from './localProcess';
import { assignSections, sectionStarts } from './patchSections';
import {
  exportDir,
  isExportId,
  newExportId,
  PATCH_FILE,
  readExportRecord,
  readImportRecord,
  sweepExports,
  writeExportRecord,
  writeImportRecord,
} from './records';
import { resolveRepoPath, validateBranchName, validateRevision } from './validate';

/** The params of berth/workspace/export (protocol/src/params/workspace.ts). */
export type ExportRequest = ParsedParams<typeof WorkspaceExportParams>;

/**
 * Where the patch goes. `file`: a path the user named (`-` is stdout), written through
 * output/userOutput.ts: an absent or regular file gets the patch beside it and renamed over it
 * only when the export succeeded; a device, a FIFO or stdout gets it copied from a temp file
 * after success, so a failed export never leaves half a patch in a pipe; anything else is
 * refused before the export starts. `keep`: kept in Berth's state folder for the diff view (RPC).
 * `discard`: only the summary is wanted.
 */
export type ExportDestination =
  | { readonly kind: 'file'; readonly path: string; readonly stdout?: Writable }
  | { readonly kind: 'keep' }
  | { readonly kind: 'discard' };

/** The params of berth/workspace/import (protocol/src/params/workspace.ts). */
export type ImportRequest = ParsedParams<typeof WorkspaceImportParams>;

/**
 * Workspace export and import, shared by the RPC server and the CLI. Workspace operations on one
 * workload exclude each other through the `workspace` lock (BUSY on contention), which is
 * separate from the `workload` lock, so starting or stopping the workload is never blocked.
 */
export class WorkspaceService {
  constructor(
    private readonly engine: () => Engine,
    private readonly workloads: WorkloadService,
    private readonly stateDir: () => string,
  ) {}

  async export(request: ExportRequest, destination: ExportDestination, ctx: OperationContext): Promise<WorkspaceExportResult> {
    const workload = await this.workloads.resolve(request.workload, ctx.signal);
    const { path, source } = resolveRepoPath(request.path, workload.labels, request.defaultPath);
    const base = request.base === undefined ? undefined : validateRevision(request.base, l10n.t('The base'));
    const stateDir = this.stateDir();
    const outputOptions = destination.kind === 'file' && destination.stdout ? { stdout: destination.stdout } : {};
    // Refused before any work: a folder, a block device, a dangling link, `-` without a stdout.
    const target = destination.kind === 'file' ? await resolveOutput(destination.path, outputOptions) : undefined;
    const lock = await acquireLock(stateDir, 'workspace', workload.identity.key, 'workspace export', { signal: ctx.signal });
    let scratch: string | undefined;
    let keptDir: string | undefined;
    let patchFile = '';
    let exportId: string | undefined;
    let fileOutput: OutputWriter | undefined;
    try {
      const record = await readImportRecord(stateDir, workload.identity.key, path);
      let patch: Writable;
      if (destination.kind === 'keep') {
        exportId = newExportId();
        keptDir = exportDir(stateDir, exportId);
        await mkdir(keptDir, { recursive: true, mode: 0o700 });
        patchFile = join(keptDir, PATCH_FILE);
        patch = await openFileStream(patchFile);
      } else if (target?.kind === 'file') {
        // The temp file beside the target; committed (renamed over it) only after success.
        fileOutput = await openOutput(target, { mode: 0o600 });
        patch = fileOutput.stream;
      } else {
        scratch = await mkdtemp(join(tmpdir(), 'berth-patch-'));
        patchFile = join(scratch, PATCH_FILE);
        patch = await openFileStream(patchFile);
      }
      const outcome = await runExport(
        {
          engine: this.engine(),
          containerId: workload.id,
          workload: workload.name,
          running: workload.state === 'running',
          repo: path,
          ...(base ? { base } : {}),
          ...(record ? { stateBase: record.base } : {}),
          patch,
          ...(keptDir ? { keepBaseBlobsIn: join(keptDir, 'base') } : {}),
        },
        ctx,
      );
      const result: WorkspaceExportResult = {
        workload: workload.name,
        path,
        pathSource: source,
        base: outcome.base,
        baseSource: base ? 'explicit' : outcome.baseSource,
        ...(outcome.baseRecord ? { baseRecord: outcome.baseRecord } : {}),
        ...(outcome.head ? { head: outcome.head } : {}),
        method: outcome.method,
        files: outcome.files,
        hasChanges: outcome.files.length > 0,
        patchBytes: outcome.patchBytes,
        warnings: outcome.warnings,
        ...(exportId ? { exportId, patchPath: patchFile } : {}),
      };
      if (destination.kind === 'keep' && exportId) {
        const { starts, size } = await sectionStarts(patchFile);
        await writeExportRecord(stateDir, {
          version: 1,
          exportId,
          createdAt: new Date().toISOString(),
          identityKey: workload.identity.key,
          containerId: workload.id,
          workload: workload.name,
          path,
          method: outcome.method,
          base: outcome.base,
          files: outcome.files,
          sections: assignSections(outcome.files, starts, size),
        });
        await sweepExports(stateDir, exportId).catch(() => undefined);
      } else if (fileOutput) {
        // fsync, rename over the target, fsync its folder: the patch appears whole or not at all.
        await fileOutput.commit();
      } else if (target) {
        await copyToOutput(patchFile, target, outputOptions);
      }
      return result;
    } catch (error) {
      if (keptDir) await rm(keptDir, { recursive: true, force: true });
      await fileOutput?.abort();
      throw error;
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
      await lock.release();
    }
  }

  /** Copies a kept export's patch to a path the user named (the diff view's Save Patch…). */
  async savePatch(exportId: string, file: string): Promise<{ readonly file: string; readonly bytes: number }> {
    await this.exportRecord(exportId);
    if (!isAbsolute(file)) throw new InvalidParamsError(l10n.t('The file to save the patch to must be an absolute path, not "{0}".', file));
    const target = await resolveOutput(file);
    const bytes = await copyToOutput(join(exportDir(this.stateDir(), exportId), PATCH_FILE), target, {});
    return { file, bytes };
  }

  async import(request: ImportRequest, ctx: OperationContext): Promise<WorkspaceImportResult> {
    if (request.from !== undefined && request.branch === undefined) {
      throw new InvalidParamsError(l10n.t('--from needs --branch: it names where the new branch starts.'));
    }
    const mode = request.mode ?? 'tracked';
    const branch = request.branch === undefined ? undefined : validateBranchName(request.branch);
    const from = request.from === undefined ? undefined : validateRevision(request.from, '--from');
    const workload = await this.workloads.resolve(request.workload, ctx.signal);
    const { path, source } = resolveRepoPath(request.path, workload.labels, request.defaultPath);
    const stateDir = this.stateDir();
    await this.requireRunning(stateDir, workload);
    const env = userGitEnv();
    const local = await inspectLocalRepo(request.dir, env);
    if (branch) await checkNewBranch(local, branch, env);
    const fromCommit = from ? await resolveLocalCommit(local, from, env) : undefined;
    ctx.progress.report(l10n.t('Listing the files of {0}', local.dir));
    const entries = await importEntries(local, mode, env);
    const lock = await acquireLock(stateDir, 'workspace', workload.identity.key, 'workspace import', { signal: ctx.signal });
    try {
      const outcome = await runImport(
        {
          engine: this.engine(),
          containerId: workload.id,
          workload: workload.name,
          repoPath: path,
          local,
          mode,
          entries,
          ...(branch ? { branch } : {}),
          ...(fromCommit ? { fromCommit } : {}),
          readOnly: request.readOnly === true,
        },
        ctx,
      );
      crashPoint('workspace.import.record');
      if (outcome.base) {
        await writeImportRecord(stateDir, {
          version: 1,
          identityKey: workload.identity.key,
          path,
          base: outcome.base,
          mode,
          sourceDir: local.dir,
          ...(branch ? { branch } : {}),
          readOnly: request.readOnly === true,
          containerId: workload.id,
          importedAt: new Date().toISOString(),
        });
      }
      const warnings: string[] = [];
      if (!outcome.base) warnings.push(l10n.t('{0} has no commits, so no base was recorded; export will compare against the empty tree.', local.dir));
      return {
        workload: workload.name,
        path,
        pathSource: source,
        mode,
        ...(outcome.base ? { base: outcome.base } : {}),
        ...(branch ? { branch } : {}),
        readOnly: request.readOnly === true,
        entries: entries.entries.length,
        bytes: entries.bytes,
        gitInContainer: outcome.gitInContainer,
        warnings,
      };
    } finally {
      await lock.release();
    }
  }

  async fileContent(exportId: string, path: string, side: 'base' | 'new', signal: AbortSignal): Promise<WorkspaceFileContentResult> {
    const record = await this.exportRecord(exportId);
    const containerId = async () => {
      try {
        await this.engine().inspectContainer(record.containerId, signal);
        return record.containerId;
      } catch (error) {
        if (!(error instanceof BerthError && error.codeName === 'NotFound')) throw error;
        // The container was re-created (compose): the same workload may still hold the repo.
        return (await this.workloads.resolve(record.identityKey, signal)).id;
      }
    };
    return exportedFileContent(record, exportDir(this.stateDir(), exportId), this.engine(), containerId, path, side, signal);
  }

  async apply(exportId: string, repo: string, ctx: OperationContext): Promise<WorkspaceApplyResult> {
    const record = await this.exportRecord(exportId);
    const patch = join(exportDir(this.stateDir(), exportId), PATCH_FILE);
    if (record.files.length === 0) throw new RejectedError(l10n.t('The export has no changes to apply.'));
    ctx.progress.report(l10n.t('Applying the changes of {0} to {1}', record.workload, repo));
    const outcome = await applyPatchToRepo(patch, repo, ctx.signal);
    return { repo, how: outcome.how, files: record.files.length };
  }

  private async exportRecord(exportId: string) {
    if (!isExportId(exportId)) throw new RejectedError(l10n.t('"{0}" is not an export ID.', exportId));
    const record = await readExportRecord(this.stateDir(), exportId);
    if (!record || !(await stat(join(exportDir(this.stateDir(), exportId), PATCH_FILE)).catch(() => undefined))) {
      throw new NotFoundError(l10n.t('The export {0} is no longer kept; export again.', exportId));
    }
    return record;
  }

  /**
   * Import runs commands in the workload, so it must be running. When it is not and another
   * Berth operation holds the workload (a capture pauses it, a restore stops it), that is BUSY
   * naming the holder, not "start it first": starting or unpausing it under that operation would
   * break it (a capture's snapshot would be inconsistent). The workspace lock itself stays apart
   * from the workload lock: a running workload is imported into whatever else runs.
   */
  private async requireRunning(stateDir: string, workload: Workload): Promise<void> {
    if (workload.state === 'running') return;
    const holder = await lockHolder(stateDir, 'workload', workload.identity.key);
    if (holder) throw busyError(workload.identity.key, holder);
    throw new ConflictError(l10n.t('{0} is {1}; start it first, because import runs commands in it.', workload.name, workload.state));
  }
}

/** A write stream on a file of Berth's own, open (or failed) before it is used. */
async function openFileStream(path: string): Promise<Writable> {
  const out = createWriteStream(path, { mode: 0o600 });
  await once(out, 'open');
  return out;
}

/** Copies a finished patch to a user-named output; returns the bytes written. */
async function copyToOutput(file: string, target: OutputTarget, options: UserOutputOptions): Promise<number> {
  const out = await openOutput(target, { ...options, mode: 0o600 });
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      await out.write(chunk);
      bytes += chunk.length;
    }
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
  return bytes;
}
