import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { WorkspaceChangedFile, WorkspaceFileContentResult } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { NotFoundError, OperationFailedError } from '../errors';
import { applyHunks, HunkMismatchError } from './applyHunks';
import { readRange } from './patchSections';
import { PATCH_FILE, type ExportRecord } from './records';

const MAX_SHOWN = 8 * 1024 * 1024;
const ZEROS = /^0+$/;

/**
 * One side of one changed file of a kept export. The old side is the base blob (read with git in
 * the container, or kept at export time on the fallback path); the new side is the old side with
 * the file's patch section applied, so the view shows exactly what the patch holds even when the
 * container's files have changed since.
 */
export async function exportedFileContent(
  record: ExportRecord,
  dir: string,
  engine: Engine,
  containerId: () => Promise<string>,
  path: string,
  side: 'base' | 'new',
  signal: AbortSignal,
): Promise<WorkspaceFileContentResult> {
  const index = record.files.findIndex((f) => f.path === path);
  const file = record.files[index];
  if (!file) throw new NotFoundError(l10n.t('{0} is not among the exported changes.', path), { path });
  if (file.binary) return placeholder(l10n.t('Binary file, not shown ({0}).', side === 'base' ? short(file.oldBlob) : short(file.newBlob)));
  if (file.oldMode === '160000' || file.newMode === '160000') {
    const id = side === 'base' ? file.oldBlob : file.newBlob;
    return { content: ZEROS.test(id) ? '' : `Subproject commit ${id}\n`, placeholder: false };
  }
  const oldText = await oldSide(record, dir, engine, containerId, file, signal);
  if (oldText === undefined) return placeholder(l10n.t('The old version of this file is too large to show or was not kept.'));
  if (side === 'base') return { content: oldText, placeholder: false };
  if (file.status === 'deleted') return { content: '', placeholder: false };
  const ranges = record.sections?.[index];
  if (!ranges) return placeholder(l10n.t('The new version is not available; the patch has it.'));
  const patch = join(dir, PATCH_FILE);
  try {
    if (file.status === 'typeChanged') {
      const creation = ranges[1];
      return { content: creation ? applyHunks('', (await readRange(patch, creation)).toString('utf8')) : '', placeholder: false };
    }
    const range = ranges[0];
    if (!range) return placeholder(l10n.t('The new version is not available; the patch has it.'));
    return { content: applyHunks(oldText, (await readRange(patch, range)).toString('utf8')), placeholder: false };
  } catch (error) {
    if (error instanceof HunkMismatchError) return placeholder(l10n.t('The new version cannot be rebuilt from the patch ({0}).', error.message));
    throw error;
  }
}

async function oldSide(
  record: ExportRecord,
  dir: string,
  engine: Engine,
  containerId: () => Promise<string>,
  file: WorkspaceChangedFile,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (ZEROS.test(file.oldBlob) || file.status === 'added') return '';
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(file.oldBlob)) return undefined;
  if (record.method === 'local-fallback') {
    return readFile(join(dir, 'base', file.oldBlob), 'utf8').catch(() => undefined);
  }
  const result = await engine.exec(await containerId(), {
    cmd: ['git', 'cat-file', 'blob', file.oldBlob],
    workingDir: record.path,
    env: ['GIT_CONFIG_COUNT=1', 'GIT_CONFIG_KEY_0=safe.directory', `GIT_CONFIG_VALUE_0=${record.path}`, 'GIT_OPTIONAL_LOCKS=0'],
    maxOutputBytes: MAX_SHOWN,
    signal,
  });
  if (result.truncated) return undefined;
  if (result.exitCode !== 0) throw new OperationFailedError(l10n.t('Reading the old version of {0} in the container failed: {1}', file.path, result.stderr.trim()), { path: file.path });
  return result.stdout;
}

function placeholder(text: string): WorkspaceFileContentResult {
  return { content: text, placeholder: true };
}

function short(id: string): string {
  return ZEROS.test(id) ? l10n.t('absent') : id.slice(0, 12);
}
