import * as vscode from 'vscode';
import type { SnapshotInfo, WorkloadIdentity } from '../../../../protocol/src';

/**
 * The snapshots of one workload identity (not container ID), so they stay together when the
 * container is re-created. contextValue `snapshotWorkload`.
 */
export class WorkloadGroupItem extends vscode.TreeItem {
  constructor(
    readonly identity: WorkloadIdentity,
    readonly snapshots: readonly SnapshotInfo[],
  ) {
    super(identity.label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `snapshots:${identity.key}`;
    this.description = snapshots.length === 1 ? vscode.l10n.t('1 snapshot') : vscode.l10n.t('{0} snapshots', snapshots.length);
    this.iconPath = new vscode.ThemeIcon(identity.kind === 'compose' ? 'layers' : 'vm');
    this.contextValue = 'snapshotWorkload';
    this.tooltip = vscode.l10n.t('Snapshots of {0}', identity.key);
    this.accessibilityInformation = { label: `${identity.label}, ${this.description}` };
  }
}
