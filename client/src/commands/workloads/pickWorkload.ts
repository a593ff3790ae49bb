import * as vscode from 'vscode';
import { ListWorkloadsRequest, type Workload } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { OperationWorkload } from '../../operations/busy';
import { WorkloadItem } from '../../views/workloads/WorkloadItem';

/**
 * The workload a command acts on: the tree item it was invoked on, a workload reference string
 * (from scripts and tests), or else one the user picks.
 */
export async function workloadArgument(ctx: Ctx, arg: unknown, filter: (w: Workload) => boolean = () => true): Promise<Workload | undefined> {
  if (arg instanceof WorkloadItem) return arg.workload;
  if (arg && typeof arg === 'object' && 'workload' in arg && typeof (arg as { workload: unknown }).workload === 'object') {
    return (arg as { workload: Workload }).workload;
  }
  const { workloads } = await ctx.request(ListWorkloadsRequest.type, { all: true });
  if (typeof arg === 'string') {
    const found = workloads.find((w) => w.id === arg || w.name === arg || w.identity.key === arg);
    if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('No workload named "{0}".', arg));
    return found;
  }
  const candidates = workloads.filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No workload fits this command.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((w) => ({ label: w.name, description: `${w.image} · ${w.status}`, workload: w })),
    { placeHolder: vscode.l10n.t('Select a workload') },
  );
  return picked?.workload;
}

/** A workload as an operation names it (the log lines) and marks it busy (every view). */
export function operationWorkload(w: Workload): OperationWorkload {
  return { key: w.identity.key, name: w.name };
}
