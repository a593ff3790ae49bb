import * as vscode from 'vscode';
import { ListPluginsRequest, type WorkloadPlugins } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { TreeProvider } from '../TreeProvider';
import { LeftoverItem } from './LeftoverItem';
import { PluginItem } from './PluginItem';
import { PluginsMessageItem } from './PluginsMessageItem';
import { WorkloadPluginsItem } from './WorkloadPluginsItem';

export type PluginNode = WorkloadPluginsItem | PluginItem | LeftoverItem | PluginsMessageItem;

/**
 * The Plugins tree: running workloads with a plugin root, each with its plugins (complete or
 * incomplete, version, previous version) and leftovers. One backend request per refresh; the
 * backend lists the workloads in parallel.
 */
export class PluginsProvider extends TreeProvider<PluginNode> {
  /** The last listing the tree rendered; commands and tests read it. */
  lastGroups: readonly WorkloadPlugins[] = [];

  constructor(private readonly ctx: Ctx) {
    super();
  }

  getParent(element: PluginNode): PluginNode | undefined {
    if (element instanceof PluginItem || element instanceof LeftoverItem) return new WorkloadPluginsItem(element.group);
    return undefined;
  }

  async getChildren(element?: PluginNode): Promise<PluginNode[]> {
    if (!element) return this.roots();
    if (!(element instanceof WorkloadPluginsItem)) return [];
    const group = element.group;
    if (group.error) return [new PluginsMessageItem(`plugins-error:${group.workload.identity.key}`, group.error.message)];
    return [...group.plugins.map((p) => new PluginItem(group, p)), ...group.leftovers.map((l, i) => new LeftoverItem(group, l, i))];
  }

  private async roots(): Promise<PluginNode[]> {
    if (this.ctx.backendState !== 'ready') {
      this.setMessage(this.ctx.backendState === 'stopped' ? vscode.l10n.t('The Berth backend has stopped. Open the Berth log for details.') : undefined);
      return [];
    }
    const engine = this.ctx.engineStatus;
    if (engine && !engine.reachable) {
      this.setMessage(vscode.l10n.t('Cannot reach the Docker engine at {0}: {1}', engine.endpoint, engine.error ?? ''));
      this.lastGroups = [];
      return [];
    }
    let groups: readonly WorkloadPlugins[];
    try {
      groups = (await this.ctx.request(ListPluginsRequest.type, {})).workloads;
    } catch (error) {
      this.ctx.noticeFailure(error);
      this.setMessage(vscode.l10n.t('Cannot list plugins: {0}', (error as Error).message));
      this.lastGroups = [];
      return [];
    }
    this.lastGroups = groups;
    // No message when empty: the view's welcome content offers "Install Plugin from Folder…".
    this.setMessage(undefined);
    return [...groups].sort((a, b) => a.workload.name.localeCompare(b.workload.name)).map((g) => new WorkloadPluginsItem(g));
  }
}
