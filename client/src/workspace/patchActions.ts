import * as vscode from 'vscode';
import { WorkspaceApplyRequest, WorkspaceSavePatchRequest, type WorkspaceExportResult } from '../../../protocol/src';
import type { Ctx } from '../ctx';
import { firstWorkspaceFolder, pickFolder } from '../dialogs';
import { showError } from '../operations/errors';

/**
 * Writes the kept patch where the user chooses. The backend writes it (output/userOutput.ts):
 * VS Code's own copy with `overwrite` deletes whatever the target is first, a device node or a
 * FIFO included.
 */
export async function savePatch(ctx: Ctx, result: WorkspaceExportResult): Promise<vscode.Uri | undefined> {
  if (!result.patchPath) return undefined;
  const folder = firstWorkspaceFolder();
  const name = `${result.workload}-${result.base.slice(0, 8)}.patch`;
  const target = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Save Patch'),
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
    filters: { [vscode.l10n.t('Patches')]: ['patch', 'diff'] },
  });
  if (!target || !result.exportId) return undefined;
  // A remote window's dialog answers with vscode-remote URIs: their path is on the machine where
  // this extension and its backend run, like a file URI's.
  if (target.scheme !== 'file' && target.scheme !== 'vscode-remote') {
    showError(ctx.log, { name: 'Error', message: vscode.l10n.t('Berth saves patches to files on the machine where it runs only.') });
    return undefined;
  }
  const saved = await ctx.runOperation(
    WorkspaceSavePatchRequest.type,
    { exportId: result.exportId, file: target.fsPath },
    { title: vscode.l10n.t('Saving the patch to {0}', target.fsPath), progress: 'none', cancellable: false, made: (r) => `${r.bytes} bytes to ${r.file}` },
  );
  if (!saved) return undefined;
  vscode.window.setStatusBarMessage(vscode.l10n.t('Saved the patch to {0}', target.fsPath), 5000);
  return target;
}

/**
 * Applies the export to a local repo the user picks (`git apply --3way` in the backend, which
 * refuses without touching anything when the result would have conflicts).
 */
export async function applyToLocalRepo(ctx: Ctx, result: WorkspaceExportResult, repo?: vscode.Uri): Promise<boolean> {
  if (!result.exportId) return false;
  const folder = repo ?? (await pickFolder(vscode.l10n.t('Apply to Local Repository'), vscode.l10n.t('Apply Here'), firstWorkspaceFolder()));
  if (!folder) return false;
  const exportId = result.exportId;
  const target = folder.fsPath;
  const applied = await ctx.runOperation(
    WorkspaceApplyRequest.type,
    { exportId, repo: target },
    { title: vscode.l10n.t('Applying the changes to {0}…', target), made: (r) => `${r.files} files, ${r.how}` },
  );
  if (!applied) return false;
  void vscode.window.showInformationMessage(
    applied.how === 'clean'
      ? vscode.l10n.t('Applied {0} changed files to {1}.', applied.files, target)
      : vscode.l10n.t('Applied {0} changed files to {1} with a clean three-way merge.', applied.files, target),
  );
  return true;
}
