import * as vscode from 'vscode';
import type { WorkloadPlugins } from '../../../../protocol/src';

/**
 * A workload with a plugin root. `contextValue` (public API, docs/plugins.md):
 * `pluginWorkload`, plus `.hasLeftovers` when its root holds leftovers and `.busy` while another
 * operation holds its lock.
 */
export class WorkloadPluginsItem extends vscode.TreeItem {
  constructor(readonly group: WorkloadPlugins) {
    super(group.workload.name, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `plugins:${group.workload.identity.key}`;
    const count = group.plugins.length;
    const parts = [group.root];
    if (group.error) parts.push(vscode.l10n.t('cannot list'));
    else parts.push(count === 1 ? vscode.l10n.t('1 plugin') : vscode.l10n.t('{0} plugins', count));
    if (group.leftovers.length > 0) parts.push(vscode.l10n.t('{0} leftovers', group.leftovers.length));
    if (group.busy) parts.push(vscode.l10n.t('busy: {0}', group.busy));
    this.description = parts.join(' · ');
    this.iconPath = group.busy ? new vscode.ThemeIcon('loading~spin') : new vscode.ThemeIcon('extensions');
    this.accessibilityInformation = { label: vscode.l10n.t('{0}, plugins in {1}', group.workload.name, group.root) };
    this.contextValue = `pluginWorkload${group.leftovers.length > 0 ? '.hasLeftovers' : ''}${group.busy ? '.busy' : ''}`;
    const source =
      group.rootSource === 'label'
        ? vscode.l10n.t('from the label berth.plugins.root')
        : group.rootSource === 'setting'
          ? vscode.l10n.t('from the setting berth.plugins.root')
          : group.rootSource === 'environment'
            ? vscode.l10n.t('from the environment variable BERTH_PLUGINS_ROOT')
            : group.rootSource === 'request'
              ? vscode.l10n.t('from the request')
              : vscode.l10n.t('the default');
    this.tooltip = [
      vscode.l10n.t('Workload: {0} ({1})', group.workload.name, group.workload.identity.key),
      vscode.l10n.t('Plugin root: {0}, {1}', group.root, source),
      group.via === 'archive' ? vscode.l10n.t('Read through the engine (the container has no shell)') : '',
    ]
      .filter(Boolean)
      .join('\n');
  }
}
