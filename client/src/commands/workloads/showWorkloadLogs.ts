import * as vscode from 'vscode';
import { WorkloadLogsRequest } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { operationWorkload, workloadArgument } from './pickWorkload';

/** Opens the tail of a container's logs in an output channel named after it. */
export function showWorkloadLogs(ctx: Ctx) {
  return async (arg?: unknown): Promise<string | undefined> => {
    const workload = await workloadArgument(ctx, arg);
    if (!workload) return undefined;
    const result = await ctx.runOperation(
      WorkloadLogsRequest.type,
      { workload: workload.id, tail: 1000, timestamps: true },
      { title: vscode.l10n.t('Reading logs of {0}…', workload.name), workload: operationWorkload(workload), progress: 'window' },
    );
    if (!result) return undefined;
    const channel = ctx.logChannel(workload.name);
    channel.replace(result.text.length > 0 ? result.text : vscode.l10n.t('(no log output)\n'));
    channel.show(true);
    return channel.name;
  };
}
