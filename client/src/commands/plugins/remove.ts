import * as vscode from 'vscode';
import { RemovePluginRequest, type RemovePluginResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { pluginArgument } from './pickPlugin';
import { pluginOperation } from './pluginOperation';

/** "Remove": after a modal confirmation, removes the plugin and its previous versions. */
export function removePlugin(ctx: Ctx) {
  return async (arg?: unknown): Promise<RemovePluginResult | undefined> => {
    const target = await pluginArgument(ctx, arg);
    if (!target) return undefined;
    const { group, plugin } = target;
    const remove = vscode.l10n.t('Remove');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove the plugin {0} from {1}?', plugin.name, group.workload.name),
      {
        modal: true,
        detail: plugin.previous
          ? vscode.l10n.t('{0} and its previous version are deleted; this cannot be rolled back.', plugin.path)
          : vscode.l10n.t('{0} is deleted; this cannot be rolled back.', plugin.path),
      },
      remove,
    );
    if (answer !== remove) return undefined;
    const result = await ctx.runOperation(
      RemovePluginRequest.type,
      { workload: group.workload.id, name: plugin.name },
      pluginOperation(group.workload, vscode.l10n.t('Removing {0} from {1}…', plugin.name, group.workload.name)),
    );
    if (result) void vscode.window.showInformationMessage(vscode.l10n.t('Removed {0} from {1}.', result.name, result.workload));
    return result;
  };
}
