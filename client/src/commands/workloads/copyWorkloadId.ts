import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { workloadArgument } from './pickWorkload';

export function copyWorkloadId(ctx: Ctx) {
  return async (arg?: unknown): Promise<string | undefined> => {
    const workload = await workloadArgument(ctx, arg);
    if (!workload) return undefined;
    await vscode.env.clipboard.writeText(workload.id);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied the ID of {0}', workload.name), 3000);
    return workload.id;
  };
}
