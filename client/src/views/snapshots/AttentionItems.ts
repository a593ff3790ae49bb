import * as vscode from 'vscode';
import type { OrphanSnapshotInfo, QuarantinedRecordInfo } from '../../../../protocol/src';
import { formatBytes } from '../workloads/MountItem';
import { ageOf } from './format';

/**
 * The "Needs attention" part of the Snapshots tree: stored data that no readable record refers
 * to, and records that could not be read and were set aside. Nothing here was deleted; an
 * orphan (or a set-aside record whose data is still stored) can be adopted. contextValues:
 * `snapshotAttention` (the group), `snapshotOrphan` or `snapshotOrphan.unrecoverable`,
 * `snapshotQuarantined.adoptable` or `snapshotQuarantined`.
 */
export class AttentionGroupItem extends vscode.TreeItem {
  constructor(
    readonly orphans: readonly OrphanSnapshotInfo[],
    readonly quarantined: readonly QuarantinedRecordInfo[],
  ) {
    super(vscode.l10n.t('Needs attention'), vscode.TreeItemCollapsibleState.Expanded);
    this.id = 'snapshots:attention';
    this.description = vscode.l10n.t('{0} orphaned, {1} set aside', orphans.length, quarantined.length);
    this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    this.contextValue = 'snapshotAttention';
    this.tooltip = vscode.l10n.t('Snapshot data without a readable record, and records that could not be read. Nothing was deleted: adopt an orphan to give it a record again.');
  }
}

export class OrphanItem extends vscode.TreeItem {
  constructor(readonly orphan: OrphanSnapshotInfo) {
    const m = orphan.manifest;
    super(m ? (m.label || orphan.id.slice(0, 12)) : orphan.id.slice(0, 12), vscode.TreeItemCollapsibleState.None);
    this.id = `snapshotOrphan:${orphan.id}`;
    this.description = m
      ? [vscode.l10n.t('orphaned'), m.workload.label, ageOf(m.capturedAt), formatBytes(m.bytes)].join(' · ')
      : vscode.l10n.t('orphaned · cannot be adopted: {0}', orphan.problem ?? '');
    this.iconPath = new vscode.ThemeIcon('question', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    this.contextValue = m ? 'snapshotOrphan' : 'snapshotOrphan.unrecoverable';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`${vscode.l10n.t('ID')}: \`${orphan.id}\`\n\n`);
    md.appendText(
      m
        ? vscode.l10n.t('No readable record refers to this stored data; it is kept. Adopt it to make a record from its own manifest ({0}, {1}).', m.workload.key, new Date(m.capturedAt).toLocaleString())
        : vscode.l10n.t('No readable record refers to this stored data, and its manifest cannot be read ({0}). It is kept as it is.', orphan.problem ?? ''),
    );
    this.tooltip = md;
    this.accessibilityInformation = { label: vscode.l10n.t('Orphaned snapshot {0}', orphan.id.slice(0, 12)) };
  }
}

export class QuarantinedItem extends vscode.TreeItem {
  constructor(readonly record: QuarantinedRecordInfo) {
    super(record.recordId ?? record.from.split('/').pop() ?? record.from, vscode.TreeItemCollapsibleState.None);
    this.id = `snapshotQuarantined:${record.entry || record.from}`;
    this.description = [vscode.l10n.t('set aside'), record.reason].join(' · ');
    this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    this.contextValue = record.objectPresent ? 'snapshotQuarantined.adoptable' : 'snapshotQuarantined';
    const md = new vscode.MarkdownString();
    md.appendText(vscode.l10n.t('This record could not be read: {0}', record.reason));
    md.appendMarkdown('\n\n');
    md.appendText(record.entry ? vscode.l10n.t('It was moved from {0} to snapshots/quarantine/{1}; nothing was deleted.', record.from, record.entry) : vscode.l10n.t('It is still at {0}.', record.from));
    if (record.contentId) {
      md.appendMarkdown('\n\n');
      md.appendText(record.objectPresent ? vscode.l10n.t('Its data ({0}) is kept; adopt it to make a record again.', record.contentId.slice(0, 12)) : vscode.l10n.t('Its data ({0}) is not in the store.', record.contentId.slice(0, 12)));
    }
    this.tooltip = md;
  }
}
