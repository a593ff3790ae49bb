import * as vscode from 'vscode';
import { RollbackPluginRequest, type RollbackPluginResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { versionLabel } from '../../views/plugins/PluginItem';
import { pluginArgument } from './pickPlugin';
import { pluginOperation } from './pluginOperation';

/** "Roll Back to Previous": the previous version becomes live; the replaced one becomes the previous. */
export function rollbackPlugin(ctx: Ctx) {
  return async (arg?: unknown): Promise<RollbackPluginResult | undefined> => {
    const target = await pluginArgument(ctx, arg, (p) => p.previous !== undefined);
    if (!target) return undefined;
    const { group, plugin } = target;
    const result = await ctx.runOperation(
      RollbackPluginRequest.type,
      { workload: group.workload.id, name: plugin.name },
      pluginOperation<RollbackPluginResult>(group.workload, vscode.l10n.t('Rolling back {0} in {1}…', plugin.name, group.workload.name), (r) => `live again: stamp ${r.restored.stamp ?? 'unknown'}${r.replaced ? `, replaced kept as ${r.replaced}` : ''}`),
    );
    if (result) void vscode.window.showInformationMessage(vscode.l10n.t('Rolled {0} back to {1}.', result.name, versionLabel(result.restored)));
    return result;
  };
}
