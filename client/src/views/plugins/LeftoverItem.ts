import * as vscode from 'vscode';
import type { PluginLeftover, WorkloadPlugins } from '../../../../protocol/src';

/**
 * A `.staging` or `.previous` entry no operation owns (or, while the workload is busy, one that
 * the running operation may own). `contextValue` (public API): `plugin.leftover`.
 */
export class LeftoverItem extends vscode.TreeItem {
  constructor(
    readonly group: WorkloadPlugins,
    readonly leftover: PluginLeftover,
    index: number,
  ) {
    const where = leftover.path ? leftover.path.slice(group.root.length + 1) : vscode.l10n.t('(an entry with an unprintable name)');
    super(where, vscode.TreeItemCollapsibleState.None);
    this.id = `leftover:${group.workload.identity.key}:${leftover.path ?? `#${index}`}`;
    const kinds: Record<PluginLeftover['kind'], string> = {
      staging: vscode.l10n.t('staged copy'),
      journal: vscode.l10n.t('operation journal'),
      previous: vscode.l10n.t('older previous version'),
      other: vscode.l10n.t('unknown entry'),
    };
    this.description = group.busy ? vscode.l10n.t('{0} · maybe in use by "{1}"', kinds[leftover.kind], group.busy) : vscode.l10n.t('leftover {0}', kinds[leftover.kind]);
    this.iconPath = new vscode.ThemeIcon('trash', new vscode.ThemeColor('disabledForeground'));
    this.contextValue = 'plugin.leftover';
    this.tooltip = vscode.l10n.t(
      'Left over by an interrupted or older operation. The sweep (at backend start, before each install, or Sweep Leftovers) finishes or rolls back interrupted operations and deletes these.',
    );
  }
}
