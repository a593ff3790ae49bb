import * as vscode from 'vscode';
import { ListPluginsRequest, type PluginInfo, type Workload, type WorkloadPlugins } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { LeftoverItem } from '../../views/plugins/LeftoverItem';
import { PluginItem, versionLabel } from '../../views/plugins/PluginItem';
import { WorkloadPluginsItem } from '../../views/plugins/WorkloadPluginsItem';
import { workloadArgument } from '../workloads/pickWorkload';

/**
 * The workload a plugin command acts on: the Plugins tree item it was invoked on, a reference
 * string (scripts, tests), or one the user picks among running workloads.
 */
export async function pluginWorkloadArgument(ctx: Ctx, arg: unknown): Promise<Workload | undefined> {
  if (arg instanceof WorkloadPluginsItem || arg instanceof PluginItem || arg instanceof LeftoverItem) return arg.group.workload;
  return workloadArgument(ctx, arg, (w) => w.state === 'running');
}

/** The plugin a command acts on: a tree item, `{ workload, name }`, or picked by the user. */
export async function pluginArgument(ctx: Ctx, arg: unknown, filter: (p: PluginInfo) => boolean = () => true): Promise<{ group: WorkloadPlugins; plugin: PluginInfo } | undefined> {
  if (arg instanceof PluginItem) return { group: arg.group, plugin: arg.plugin };
  let groups: readonly WorkloadPlugins[];
  let wanted: string | undefined;
  if (arg && typeof arg === 'object' && typeof (arg as { workload?: unknown }).workload === 'string') {
    const ref = arg as { workload: string; name?: unknown };
    groups = (await ctx.request(ListPluginsRequest.type, { workload: ref.workload })).workloads;
    wanted = typeof ref.name === 'string' ? ref.name : undefined;
  } else {
    groups = (await ctx.request(ListPluginsRequest.type, {})).workloads;
  }
  const candidates = groups.flatMap((group) => group.plugins.filter(filter).map((plugin) => ({ group, plugin })));
  if (wanted !== undefined) {
    const found = candidates.find((c) => c.plugin.name === wanted);
    if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('No plugin named "{0}" fits this command.', wanted));
    return found;
  }
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No plugin fits this command.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({ label: c.plugin.name, description: `${c.group.workload.name} · ${versionLabel(c.plugin)}`, candidate: c })),
    { placeHolder: vscode.l10n.t('Select a plugin') },
  );
  return picked?.candidate;
}
