import * as vscode from 'vscode';
import type { Workload } from '../../../../protocol/src';
import { busyLabel } from './busyLabel';
import { escapeMarkdown } from '../markdown';

/**
 * A container. `contextValue` is public API (menus match on it; see docs/ARCHITECTURE.md):
 * `workload.<state>` with `.unhealthy` appended when the health check fails, and `.busy` while
 * Berth runs an operation on it.
 */
export class WorkloadItem extends vscode.TreeItem {
  constructor(readonly workload: Workload) {
    super(workload.name, workload.mounts.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `workload:${workload.id}`;
    this.description = workload.busy ? `${workload.image} · ${busyLabel(workload.busy)}` : `${workload.image} · ${workload.status}`;
    this.iconPath = iconFor(workload);
    this.contextValue = contextValueOf(workload);
    this.tooltip = tooltipOf(workload);
    this.accessibilityInformation = { label: vscode.l10n.t('{0}, {1}, image {2}', workload.name, stateLabel(workload), workload.image) };
  }
}

export function contextValueOf(w: Workload): string {
  return `workload.${w.state}${w.health === 'unhealthy' ? '.unhealthy' : ''}${w.busy ? '.busy' : ''}`;
}

function iconFor(w: Workload): vscode.ThemeIcon {
  if (w.busy) return new vscode.ThemeIcon('loading~spin');
  if (w.state === 'running' && w.health === 'unhealthy') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  switch (w.state) {
    case 'running':
      return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('testing.iconPassed'));
    case 'paused':
      return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'restarting':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'dead':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'removing':
      return new vscode.ThemeIcon('trash');
    case 'created':
    case 'exited':
      return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('disabledForeground'));
  }
}

export function stateLabel(w: Workload): string {
  const states: Record<Workload['state'], string> = {
    created: vscode.l10n.t('created'),
    running: vscode.l10n.t('running'),
    paused: vscode.l10n.t('paused'),
    restarting: vscode.l10n.t('restarting'),
    removing: vscode.l10n.t('removing'),
    exited: vscode.l10n.t('exited'),
    dead: vscode.l10n.t('dead'),
  };
  const state = states[w.state];
  return w.health === 'unhealthy' ? vscode.l10n.t('{0}, unhealthy', state) : state;
}

function tooltipOf(w: Workload): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  md.appendMarkdown(`**${escapeMarkdown(w.name)}** — ${escapeMarkdown(stateLabel(w))}\n\n`);
  md.appendMarkdown(`${vscode.l10n.t('Image')}: \`${escapeMarkdown(w.image)}\`  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Status')}: ${escapeMarkdown(w.status)}  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Identity')}: \`${escapeMarkdown(w.identity.key)}\`  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Container ID')}: \`${w.id.slice(0, 12)}\`  \n`);
  md.appendMarkdown(`${vscode.l10n.t('Created')}: ${new Date(w.created * 1000).toLocaleString()}`);
  if (w.mounts.length > 0) {
    md.appendMarkdown(`\n\n${vscode.l10n.t('Mounts')}:\n`);
    for (const m of w.mounts) {
      md.appendMarkdown(`- \`${escapeMarkdown(m.target)}\` ← ${escapeMarkdown(m.type === 'volume' ? (m.name ?? m.source) : m.source)} (${m.type}${m.readOnly ? ', ro' : ''})\n`);
    }
  }
  return md;
}
