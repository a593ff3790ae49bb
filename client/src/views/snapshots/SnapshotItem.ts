import * as vscode from 'vscode';
import type { SnapshotInfo } from '../../../../protocol/src';
import { formatBytes } from '../workloads/MountItem';
import { ageOf } from './format';
import { escapeMarkdown } from '../markdown';

/**
 * One snapshot record (one capture). `contextValue` is public API (menus match on it):
 * `snapshot.pinned` or `snapshot.unpinned`, with `.failed` appended when its last verification
 * failed and `.missing` when its stored data is gone. The node ID is the record ID, which no
 * change alters (not the age), so the tree keeps selection and focus across refreshes.
 */
export class SnapshotItem extends vscode.TreeItem {
  /** `member`: shown under its project set, named by its service. */
  constructor(
    readonly snapshot: SnapshotInfo,
    member = false,
  ) {
    super(member && snapshot.set ? snapshot.set.service : snapshot.label || snapshot.id.slice(0, 12), vscode.TreeItemCollapsibleState.None);
    const s = snapshot;
    this.id = `snapshot:${s.workload.key}:${s.recordId}`;
    const parts = [
      ageOf(s.capturedAt),
      formatBytes(s.bytes),
      s.volumes.length === 1 ? vscode.l10n.t('1 volume') : vscode.l10n.t('{0} volumes', s.volumes.length),
      quiesceLabel(s.quiesce),
      s.dataMissing ? vscode.l10n.t('data missing') : verifiedLabel(s),
    ];
    if (s.label || member) parts.unshift(s.id.slice(0, 12));
    this.description = parts.join(' · ');
    this.contextValue = `snapshot.${s.pinned ? 'pinned' : 'unpinned'}${s.verified.state === 'failed' ? '.failed' : ''}${s.dataMissing ? '.missing' : ''}`;
    this.iconPath =
      s.verified.state === 'failed' || s.dataMissing
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsErrorIcon.foreground'))
        : new vscode.ThemeIcon(s.pinned ? 'pinned' : 'archive');
    this.tooltip = tooltipOf(s);
    this.accessibilityInformation = { label: vscode.l10n.t('Snapshot {0} of {1}, {2}', s.label || s.id.slice(0, 12), s.workload.label, ageOf(s.capturedAt)) };
  }
}

export function quiesceLabel(q: SnapshotInfo['quiesce']): string {
  switch (q) {
    case 'pause':
      return vscode.l10n.t('paused');
    case 'stop':
      return vscode.l10n.t('stopped');
    case 'none':
      return vscode.l10n.t('not quiesced');
    case 'offline':
      return vscode.l10n.t('offline');
  }
}

function verifiedLabel(s: SnapshotInfo): string {
  switch (s.verified.state) {
    case 'ok':
      return vscode.l10n.t('verified');
    case 'failed':
      return vscode.l10n.t('verification failed');
    case 'never':
      return vscode.l10n.t('not verified');
  }
}

function tooltipOf(s: SnapshotInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  md.appendMarkdown(`**${escapeMarkdown(s.label || s.id.slice(0, 12))}** — ${escapeMarkdown(s.workload.label)}\n\n`);
  md.appendMarkdown(`${vscode.l10n.t('Record')}: \`${s.recordId}\`  \n`);
  md.appendMarkdown(`${vscode.l10n.t('ID')}: \`${s.id}\`  \n`);
  if (s.dataMissing) md.appendMarkdown(`$(warning) ${escapeMarkdown(vscode.l10n.t('The stored data of this snapshot is missing; the record is kept.'))}  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Captured')}: ${new Date(s.capturedAt).toLocaleString()} (${escapeMarkdown(ageOf(s.capturedAt))})  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Quiesce')}: ${escapeMarkdown(quiesceLabel(s.quiesce))}  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Size')}: ${formatBytes(s.bytes)} ${escapeMarkdown(vscode.l10n.t('in {0} files', s.files))}, ${escapeMarkdown(vscode.l10n.t('stored {0}', formatBytes(s.storedBytes)))}  \n`);
  if (s.pinned) md.appendMarkdown(`$(pinned) ${vscode.l10n.t('Pinned: retention keeps it')}  \n`);
  const verified =
    s.verified.state === 'ok'
      ? vscode.l10n.t('Verified {0}', new Date(s.verified.at ?? '').toLocaleString())
      : s.verified.state === 'failed'
        ? vscode.l10n.t('Verification failed: {0}', s.verified.message ?? '')
        : vscode.l10n.t('Not verified yet');
  md.appendMarkdown(`${escapeMarkdown(verified)}\n\n`);
  md.appendMarkdown(`${vscode.l10n.t('Volumes')}:\n`);
  for (const v of s.volumes) {
    md.appendMarkdown(`- \`${v.index}/\` \`${escapeMarkdown(v.target)}\` ← ${escapeMarkdown(v.source)} (${v.type}${v.readOnly ? ', ro' : ''}): ${escapeMarkdown(vscode.l10n.t('{0} files', v.files))}, ${formatBytes(v.bytes)}\n`);
  }
  if (s.skipped > 0) md.appendMarkdown(`\n${escapeMarkdown(vscode.l10n.t('{0} item(s) were not captured (hard links, special files, tmpfs, …).', s.skipped))}\n`);
  return md;
}
