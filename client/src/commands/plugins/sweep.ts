import * as vscode from 'vscode';
import { SweepPluginsRequest, type SweepPluginsResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { pluginWorkloadArgument } from './pickPlugin';
import { pluginOperation } from './pluginOperation';

/** "Sweep Leftovers": finishes or rolls back interrupted operations and deletes leftovers. */
export function sweepPlugins(ctx: Ctx) {
  return async (arg?: unknown): Promise<SweepPluginsResult | undefined> => {
    const workload = await pluginWorkloadArgument(ctx, arg);
    if (!workload) return undefined;
    const result = await ctx.runOperation(SweepPluginsRequest.type, { workload: workload.id }, pluginOperation(workload, vscode.l10n.t('Sweeping plugin leftovers in {0}…', workload.name)));
    if (result) {
      const count = result.recovered.length + result.removed.length;
      void vscode.window.showInformationMessage(
        count === 0 ? vscode.l10n.t('Nothing to sweep in {0}.', result.workload) : vscode.l10n.t('Swept {0}: {1} recovered, {2} removed.', result.workload, result.recovered.length, result.removed.length),
      );
    }
    return result;
  };
}
