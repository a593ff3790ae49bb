import * as vscode from 'vscode';
import { WorkspaceExportRequest, type WorkspaceExportResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { readWorkspacePath } from '../../settings';
import { changesList } from '../../workspace/exportDocuments';
import { applyToLocalRepo, savePatch } from '../../workspace/patchActions';
import { operationWorkload, workloadArgument } from '../workloads/pickWorkload';

/**
 * "Export Workspace Changes…": exports every change since the base, opens them in the
 * multi-file diff view, then offers Save Patch… and Apply to Local Repository.
 */
export function exportWorkspaceChanges(ctx: Ctx) {
  return async (arg?: unknown): Promise<WorkspaceExportResult | undefined> => {
    const workload = await workloadArgument(ctx, arg);
    if (!workload) return undefined;
    const defaultPath = readWorkspacePath();
    const result = await ctx.runOperation(
      WorkspaceExportRequest.type,
      { workload: workload.id, ...(defaultPath ? { defaultPath } : {}) },
      { title: vscode.l10n.t('Exporting the changes in {0}…', workload.name), workload: operationWorkload(workload), made: (r) => `${r.files.length} changed files since ${r.base.slice(0, 12)}` },
    );
    if (!result) return undefined;
    for (const warning of result.warnings) ctx.log.warn(warning);
    if (!result.hasChanges || !result.exportId) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No changes in {0}:{1} since {2}.', result.workload, result.path, result.base.slice(0, 12)));
      return result;
    }
    const title = vscode.l10n.t('{0}:{1} since {2}', result.workload, result.path, result.base.slice(0, 12));
    await vscode.commands.executeCommand('vscode.changes', title, changesList(result.exportId, result.files));
    void offerActions(ctx, result);
    return result;
  };
}

async function offerActions(ctx: Ctx, result: WorkspaceExportResult): Promise<void> {
  const save = vscode.l10n.t('Save Patch…');
  const apply = vscode.l10n.t('Apply to Local Repository');
  const summary = vscode.l10n.t('{0} changed files in {1} ({2}).', result.files.length, result.workload, result.method === 'container-git' ? vscode.l10n.t('git in the container') : vscode.l10n.t('copied out, this machine\'s git'));
  const message = [summary, ...result.warnings].join(' ');
  // Without a recorded base, commits made since the real base are missing: say so loudly.
  const choice = result.baseSource === 'head' ? await vscode.window.showWarningMessage(message, save, apply) : await vscode.window.showInformationMessage(message, save, apply);
  if (choice === save) await savePatch(ctx, result);
  else if (choice === apply) await applyToLocalRepo(ctx, result);
}
