import * as vscode from 'vscode';
import { WorkloadLogsRequest } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { showOperationError } from '../showOperationError';
import { workloadArgument } from './pickWorkload';

/** Opens the tail of a container's logs in an output channel named after it. */
export function showWorkloadLogs(ctx: Ctx) {
  return async (arg?: unknown): Promise<string | undefined> => {
    const workload = await workloadArgument(ctx, arg);
    if (!workload) return undefined;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Reading logs of {0}…', workload.name) },
        (_p, token) => ctx.request(WorkloadLogsRequest.type, { workload: workload.id, tail: 1000, timestamps: true }, token),
      );
      const channel = ctx.logChannel(workload.name);
      channel.replace(result.text.length > 0 ? result.text : vscode.l10n.t('(no log output)\n'));
      channel.show(true);
      return channel.name;
    } catch (error) {
      showOperationError(ctx, error);
      return undefined;
    }
  };
}
