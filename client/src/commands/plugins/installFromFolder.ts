import { basename } from 'node:path';
import * as vscode from 'vscode';
import { InstallPluginRequest, type InstallPluginResult, type Workload } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { pickFolder } from '../../dialogs';
import { pluginWorkloadArgument } from './pickPlugin';
import { pluginOperation } from './pluginOperation';

const NAME = /^[A-Za-z0-9._-]+$/;

/** Checks a plugin name as the backend does, for the input box. */
export function pluginNameProblem(name: string): string | undefined {
  if (name.length === 0) return vscode.l10n.t('Enter a name.');
  if (name.length > 100) return vscode.l10n.t('At most 100 characters.');
  if (name.startsWith('.')) return vscode.l10n.t('A plugin name must not start with a dot.');
  if (!NAME.test(name)) return vscode.l10n.t('Use letters, digits, ".", "_" and "-" only (one path segment).');
  return undefined;
}

/** Installs (or reinstalls) a plugin from a local folder into a running workload. */
export async function installPlugin(ctx: Ctx, workload: Workload, folder: string, name: string): Promise<InstallPluginResult | undefined> {
  const result = await ctx.runOperation(
    InstallPluginRequest.type,
    { workload: workload.id, folder, name },
    pluginOperation<InstallPluginResult>(workload, vscode.l10n.t('Installing {0} into {1}…', name, workload.name), (r) => `stamp ${r.stamp}${r.version ? `, version ${r.version}` : ''}${r.previous ? `, previous kept as ${r.previous}` : ''}`),
  );
  if (result) {
    void vscode.window.showInformationMessage(
      result.previous
        ? vscode.l10n.t('Installed {0} {1} into {2}. The replaced version is kept for roll-back.', result.name, result.version ?? '', result.workload)
        : vscode.l10n.t('Installed {0} {1} into {2}.', result.name, result.version ?? '', result.workload),
    );
  }
  return result;
}

/**
 * "Install Plugin from Folder…": a workload (the tree item, a reference, or picked), a folder
 * (an argument or the folder picker) and a name (an argument, or asked with the folder's name
 * as the default).
 */
export function installFromFolder(ctx: Ctx) {
  return async (arg?: unknown, folderArg?: unknown, nameArg?: unknown): Promise<InstallPluginResult | undefined> => {
    const workload = await pluginWorkloadArgument(ctx, arg);
    if (!workload) return undefined;
    let folder = typeof folderArg === 'string' ? folderArg : undefined;
    if (!folder) {
      folder = (await pickFolder(vscode.l10n.t('Install a plugin into {0}', workload.name), vscode.l10n.t('Install Plugin')))?.fsPath;
    }
    if (!folder) return undefined;
    let name = typeof nameArg === 'string' ? nameArg : undefined;
    if (name === undefined) {
      name = await vscode.window.showInputBox({
        title: vscode.l10n.t('Plugin name'),
        prompt: vscode.l10n.t('The plugin becomes the folder of this name in the plugin root of {0}.', workload.name),
        value: basename(folder),
        validateInput: pluginNameProblem,
      });
    }
    if (!name) return undefined;
    return installPlugin(ctx, workload, folder, name);
  };
}
