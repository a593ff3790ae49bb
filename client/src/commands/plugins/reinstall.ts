import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { InstallPluginResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { pickFolder } from '../../dialogs';
import { installPlugin } from './installFromFolder';
import { pluginArgument } from './pickPlugin';

/** "Reinstall": installs the plugin again from the folder it was installed from (or a picked one). */
export function reinstallPlugin(ctx: Ctx) {
  return async (arg?: unknown): Promise<InstallPluginResult | undefined> => {
    const target = await pluginArgument(ctx, arg);
    if (!target) return undefined;
    let folder = target.plugin.source && existsSync(target.plugin.source) ? target.plugin.source : undefined;
    if (!folder) {
      folder = (await pickFolder(vscode.l10n.t('The folder {0} was installed from is not known here; pick it', target.plugin.name), vscode.l10n.t('Reinstall')))?.fsPath;
    }
    if (!folder) return undefined;
    return installPlugin(ctx, target.group.workload, folder, target.plugin.name);
  };
}
