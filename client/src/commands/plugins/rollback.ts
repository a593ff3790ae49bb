import * as vscode from 'vscode';
import { RollbackPluginRequest, type RollbackPluginResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { versionLabel } from '../../views/plugins/PluginItem';
import { pluginArgument } from './pickPlugin';
import { runPluginOperation } from './runPluginOperation';

/** "Roll Back to Previous": the previous version becomes live; the replaced one becomes the previous. */
export function rollbackPlugin(ctx: Ctx) {
  return async (arg?: unknown): Promise<RollbackPluginResult | undefined> => {
    const target = await pluginArgument(ctx, arg, (p) => p.previous !== undefined);
    if (!target) return undefined;
    const { group, plugin } = target;
    const result = await runPluginOperation(
      ctx,
      RollbackPluginRequest.type,
      { workload: group.workload.id, name: plugin.name },
      vscode.l10n.t('Rolling back {0} in {1}…', plugin.name, group.workload.name),
    );
    if (result) void vscode.window.showInformationMessage(vscode.l10n.t('Rolled {0} back to {1}.', result.name, versionLabel(result.restored)));
    return result;
  };
}
