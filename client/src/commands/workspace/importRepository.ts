import * as vscode from 'vscode';
import { WorkspaceImportRequest, type WorkspaceImportMode, type WorkspaceImportResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { readWorkspacePath } from '../../settings';
import { withRequestProgress } from '../../workspace/requestProgress';
import { showOperationError } from '../showOperationError';
import { workloadArgument } from '../workloads/pickWorkload';

/** "Import Local Repository…": copies a local repo into the workload and records its base. */
export function importLocalRepository(ctx: Ctx) {
  return async (arg?: unknown, folderArg?: unknown): Promise<WorkspaceImportResult | undefined> => {
    const workload = await workloadArgument(ctx, arg, (w) => w.state === 'running');
    if (!workload) return undefined;
    const folder = folderArg instanceof vscode.Uri ? folderArg : (await pickFolder());
    if (!folder) return undefined;
    const mode = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('Tracked files'), description: vscode.l10n.t('tracked files as they are on disk, with .git'), mode: 'tracked' as WorkspaceImportMode },
        { label: vscode.l10n.t('Full copy'), description: vscode.l10n.t('everything, including untracked and ignored files'), mode: 'full_copy' as WorkspaceImportMode },
      ],
      { placeHolder: vscode.l10n.t('What to copy into {0}', workload.name) },
    );
    if (!mode) return undefined;
    try {
      const defaultPath = readWorkspacePath();
      const result = await withRequestProgress(ctx, vscode.l10n.t('Importing {0} into {1}…', folder.fsPath, workload.name), (workDoneToken, token) =>
        ctx.request(WorkspaceImportRequest.type, { workload: workload.id, dir: folder.fsPath, mode: mode.mode, ...(defaultPath ? { defaultPath } : {}), workDoneToken }, token),
      );
      void vscode.window.showInformationMessage(vscode.l10n.t('Imported {0} into {1}:{2}.', folder.fsPath, result.workload, result.path));
      return result;
    } catch (error) {
      showOperationError(ctx, error);
      return undefined;
    }
  };
}

async function pickFolder(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Import Local Repository'),
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: vscode.l10n.t('Import'),
    ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
  });
  return picked?.[0];
}
