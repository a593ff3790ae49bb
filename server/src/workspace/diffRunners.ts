import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import type { WorkspaceChangedFile } from '../../../protocol/src';
import { extractTree, IncompleteExtractionError, UnsafeEntryError, UnsupportedNameError } from '../archive/extractTree';
import type { Engine } from '../engine/engine';
import { BerthError, NotFoundError, OperationFailedError, RejectedError } from '../errors';
import type { OperationContext } from '../operation';
import { CANCEL_SCRIPT, exportArgv } from './exportScript';
import type { ExportOutputParser } from './exportOutput';
import { isolatedGitEnv, runLocal } from './localProcess';
import { prepareRepoCopy } from './repoCopy';

export interface DiffArgs {
  readonly repo: string;
  readonly base?: string;
  readonly stateBase?: string;
  readonly tempName: string;
}

export interface DiffRun {
  readonly exitCode: number;
  readonly stderr: string;
  readonly warnings: readonly string[];
  /** (fallback) objects/info/alternates was dropped, so objects the repo borrowed are missing. */
  readonly droppedAlternates?: boolean;
}

const CONTAINER_TEMP_ROOT = '/tmp';

/**
 * Runs the export script inside the container with one exec; stdout (header, list and patch)
 * streams into the parser. On cancellation the exec's connection is cut and a second exec asks
 * the script to stop, so git does not run on in the container.
 */
export async function diffInContainer(engine: Engine, containerId: string, args: DiffArgs, parser: ExportOutputParser, ctx: OperationContext): Promise<DiffRun> {
  const stop = () => {
    void engine
      .exec(containerId, { cmd: ['sh', '-c', CANCEL_SCRIPT, 'berth-export-cancel', CONTAINER_TEMP_ROOT, args.tempName] })
      .catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  try {
    const result = await engine.exec(containerId, {
      cmd: exportArgv({ ...args, tempRoot: CONTAINER_TEMP_ROOT }),
      stdout: parser,
      signal: ctx.signal,
      maxOutputBytes: 1024 * 1024,
    });
    return { exitCode: result.exitCode, stderr: result.stderr, warnings: [] };
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
}

export interface CopyOptions {
  /** Keep the old side of changed text files here (the copy is deleted afterwards). */
  readonly keepBaseBlobsIn?: string;
  readonly files?: () => readonly WorkspaceChangedFile[];
}

const MAX_BLOB = 4 * 1024 * 1024;
const MAX_BLOBS_TOTAL = 64 * 1024 * 1024;

/**
 * The fallback for containers without git (or without sh, or stopped): copies the repo out
 * through the engine's archive API into a temp folder on this machine, makes the copy safe for
 * the host's git, and runs the same script on it. The temp folder is removed on every path.
 */
export async function diffOnCopy(
  engine: Engine,
  containerId: string,
  containerPath: string,
  args: Omit<DiffArgs, 'repo'>,
  parser: ExportOutputParser,
  ctx: OperationContext,
  options: CopyOptions = {},
): Promise<DiffRun> {
  const work = await mkdtemp(join(tmpdir(), 'berth-export-copy-'));
  try {
    const home = join(work, 'home');
    const repo = join(work, 'repo');
    await mkdir(home, { mode: 0o700 });
    ctx.progress.report(l10n.t('Copying {0} out of the container', containerPath));
    let archive: Readable;
    try {
      // "/." copies the folder's contents even when the path is a symbolic link to it.
      archive = await engine.getArchive(containerId, `${containerPath}/.`, ctx.signal);
    } catch (error) {
      if (error instanceof BerthError && error.codeName === 'NotFound') {
        throw new NotFoundError(l10n.t('There is no folder {0} in the container.', containerPath), { path: containerPath, step: 'copy-out' });
      }
      throw error;
    }
    let lastReport = 0;
    try {
      await extractTree(archive, repo, {
        strip: 1,
        signal: ctx.signal,
        onProgress: (bytes) => {
          if (bytes - lastReport < 8 * 1024 * 1024) return;
          lastReport = bytes;
          ctx.progress.report(l10n.t('Copying {0} out of the container: {1} MiB', containerPath, (bytes / 1048576).toFixed(0)));
        },
      });
    } catch (error) {
      if (error instanceof UnsafeEntryError) throw new RejectedError(l10n.t('The container sent an unsafe archive entry: {0}', error.message), { path: error.path, step: 'copy-out' });
      if (error instanceof UnsupportedNameError) {
        throw new RejectedError(l10n.t('{0} Nothing was exported; export with git inside the container, which reads the names as they are.', error.message), { path: error.path, step: 'copy-out' });
      }
      if (error instanceof IncompleteExtractionError) throw new OperationFailedError(l10n.t('Copying the repo out of the container failed: {0}', error.message), { path: error.path, step: 'copy-out' });
      throw error;
    }
    const prepared = await prepareRepoCopy(repo, containerPath, work, home);
    ctx.progress.report(l10n.t('Computing the changes with this machine\'s git'));
    const env = isolatedGitEnv(home, process.env, work);
    const result = await runLocal('sh', exportArgv({ ...args, repo, tempRoot: home }).slice(1), { cwd: home, env, stdout: parser, signal: ctx.signal, maxOutputBytes: 1024 * 1024 });
    if (result.exitCode === 0 && options.keepBaseBlobsIn && options.files) {
      await keepBaseBlobs(repo, env, options.files(), options.keepBaseBlobsIn);
    }
    return { exitCode: result.exitCode, stderr: result.stderr, warnings: prepared.warnings, droppedAlternates: prepared.droppedAlternates };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Saves the old side of changed text files, for the diff view, before the copy is deleted. */
async function keepBaseBlobs(repo: string, env: NodeJS.ProcessEnv, files: readonly WorkspaceChangedFile[], dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  let total = 0;
  for (const file of files) {
    // The ID becomes a file name here: only a well-formed object ID is used.
    if (file.binary || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(file.oldBlob) || /^0+$/.test(file.oldBlob) || !['100644', '100755', '120000'].includes(file.oldMode)) continue;
    const blob = await runLocal('git', ['cat-file', 'blob', file.oldBlob], { cwd: repo, env, maxOutputBytes: MAX_BLOB + 1 });
    if (blob.exitCode !== 0 || blob.stdout.length > MAX_BLOB || total + blob.stdout.length > MAX_BLOBS_TOTAL) continue;
    total += blob.stdout.length;
    await writeFile(join(dir, file.oldBlob), blob.stdout);
  }
}
