import * as vscode from 'vscode';
import type { SnapshotInfo, WorkloadIdentity } from '../../../../protocol/src';
import { busyLabel } from '../workloads/busyLabel';

/**
 * The snapshots of one workload identity (not container ID), so they stay together when the
 * container is re-created. contextValue `snapshotWorkload`, or `snapshotWorkload.busy` while a
 * restore or a capture runs on it (menus that start another operation on it match the plain
 * value only).
 */
export class WorkloadGroupItem extends vscode.TreeItem {
  constructor(
    readonly identity: WorkloadIdentity,
    readonly snapshots: readonly SnapshotInfo[],
    readonly busy?: string,
  ) {
    super(identity.label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `snapshots:${identity.key}`;
    const count = snapshots.length === 1 ? vscode.l10n.t('1 snapshot') : vscode.l10n.t('{0} snapshots', snapshots.length);
    this.description = busy ? `${count} · ${busyLabel(busy)}` : count;
    this.iconPath = busy ? new vscode.ThemeIcon('loading~spin') : new vscode.ThemeIcon(identity.kind === 'compose' ? 'layers' : 'vm');
    this.contextValue = busy ? 'snapshotWorkload.busy' : 'snapshotWorkload';
    this.tooltip = vscode.l10n.t('Snapshots of {0}', identity.key);
    this.accessibilityInformation = { label: `${identity.label}, ${this.description}` };
  }
}
