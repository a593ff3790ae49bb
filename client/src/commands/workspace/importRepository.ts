import * as vscode from 'vscode';
import { WorkspaceImportRequest, type WorkspaceImportMode, type WorkspaceImportResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { firstWorkspaceFolder, pickFolder } from '../../dialogs';
import { readWorkspacePath } from '../../settings';
import { operationWorkload, workloadArgument } from '../workloads/pickWorkload';

/** "Import Local Repository…": copies a local repo into the workload and records its base. */
export function importLocalRepository(ctx: Ctx) {
  return async (arg?: unknown, folderArg?: unknown): Promise<WorkspaceImportResult | undefined> => {
    const workload = await workloadArgument(ctx, arg, (w) => w.state === 'running');
    if (!workload) return undefined;
    const folder = folderArg instanceof vscode.Uri ? folderArg : await pickFolder(vscode.l10n.t('Import Local Repository'), vscode.l10n.t('Import'), firstWorkspaceFolder());
    if (!folder) return undefined;
    const mode = await vscode.window.showQuickPick(
      [
        { label: vscode.l10n.t('Tracked files'), description: vscode.l10n.t('tracked files as they are on disk, with .git'), mode: 'tracked' as WorkspaceImportMode },
        { label: vscode.l10n.t('Full copy'), description: vscode.l10n.t('everything, including untracked and ignored files'), mode: 'full_copy' as WorkspaceImportMode },
      ],
      { placeHolder: vscode.l10n.t('What to copy into {0}', workload.name) },
    );
    if (!mode) return undefined;
    const defaultPath = readWorkspacePath();
    const result = await ctx.runOperation(
      WorkspaceImportRequest.type,
      { workload: workload.id, dir: folder.fsPath, mode: mode.mode, ...(defaultPath ? { defaultPath } : {}) },
      { title: vscode.l10n.t('Importing {0} into {1}…', folder.fsPath, workload.name), workload: operationWorkload(workload), made: (r) => `into ${r.path}` },
    );
    if (!result) return undefined;
    void vscode.window.showInformationMessage(vscode.l10n.t('Imported {0} into {1}:{2}.', folder.fsPath, result.workload, result.path));
    return result;
  };
}
