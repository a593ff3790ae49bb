import * as vscode from 'vscode';
import type { ScheduleInfo, SnapshotInfo, WorkloadIdentity } from '../../../../protocol/src';
import { escapeMarkdown } from '../markdown';
import { busyLabel } from '../workloads/busyLabel';
import { appendSchedules, scheduleDescription } from './schedules';

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
    /** The schedules whose target is this workload: their next and last runs show here. */
    readonly schedules: readonly ScheduleInfo[] = [],
  ) {
    super(identity.label, snapshots.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    this.id = `snapshots:${identity.key}`;
    const count = snapshots.length === 1 ? vscode.l10n.t('1 snapshot') : vscode.l10n.t('{0} snapshots', snapshots.length);
    const scheduled = scheduleDescription(schedules);
    this.description = [count, ...(scheduled ? [scheduled] : []), ...(busy ? [busyLabel(busy)] : [])].join(' · ');
    this.iconPath = busy ? new vscode.ThemeIcon('loading~spin') : new vscode.ThemeIcon(identity.kind === 'compose' ? 'layers' : 'vm');
    this.contextValue = busy ? 'snapshotWorkload.busy' : 'snapshotWorkload';
    const tooltip = new vscode.MarkdownString(escapeMarkdown(vscode.l10n.t('Snapshots of {0}', identity.key)));
    appendSchedules(tooltip, schedules);
    this.tooltip = tooltip;
    this.accessibilityInformation = { label: `${identity.label}, ${this.description}` };
  }
}
