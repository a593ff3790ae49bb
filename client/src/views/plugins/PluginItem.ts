import * as vscode from 'vscode';
import type { PluginInfo, WorkloadPlugins } from '../../../../protocol/src';

/**
 * An installed plugin. `contextValue` (public API, docs/plugins.md): `plugin.complete` or
 * `plugin.incomplete`, plus `.hasPrevious` when a previous version is kept for roll-back.
 */
export class PluginItem extends vscode.TreeItem {
  constructor(
    readonly group: WorkloadPlugins,
    readonly plugin: PluginInfo,
  ) {
    super(plugin.name, vscode.TreeItemCollapsibleState.None);
    this.id = `plugin:${group.workload.identity.key}:${plugin.name}`;
    const parts: string[] = [versionLabel(plugin)];
    if (plugin.state === 'incomplete') parts.push(vscode.l10n.t('incomplete'));
    if (plugin.previous) parts.push(vscode.l10n.t('previous: {0}', versionLabel(plugin.previous)));
    this.description = parts.join(' · ');
    this.iconPath =
      plugin.state === 'complete'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    this.contextValue = `plugin.${plugin.state}${plugin.previous ? '.hasPrevious' : ''}`;
    this.tooltip = tooltipOf(group, plugin);
    this.accessibilityInformation = {
      label: plugin.state === 'complete' ? vscode.l10n.t('{0}, complete, {1}', plugin.name, versionLabel(plugin)) : vscode.l10n.t('{0}, incomplete', plugin.name),
    };
  }
}

/** The manifest version, else the install stamp's time, else a dash. */
export function versionLabel(v: { readonly version?: string; readonly stamp?: string }): string {
  if (v.version) return v.version;
  if (v.stamp) return stampLabel(v.stamp);
  return vscode.l10n.t('unknown version');
}

/** `20250304T050607089Z-…` as a local date and time. */
export function stampLabel(stamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(stamp);
  if (!m) return stamp;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(date.getTime()) ? stamp : date.toLocaleString();
}

function tooltipOf(group: WorkloadPlugins, p: PluginInfo): string {
  const lines = [
    `${p.name} — ${p.state === 'complete' ? vscode.l10n.t('complete') : vscode.l10n.t('incomplete: no .complete marker, loaders refuse it')}`,
    vscode.l10n.t('Path: {0}', p.path),
  ];
  if (p.version) lines.push(vscode.l10n.t('Version: {0}', p.version));
  if (p.stamp) lines.push(vscode.l10n.t('Installed: {0} (stamp {1})', stampLabel(p.stamp), p.stamp));
  if (p.previous) {
    lines.push(
      vscode.l10n.t('Previous version: {0}{1}', versionLabel(p.previous), p.previous.complete ? '' : ` (${vscode.l10n.t('incomplete')})`),
      vscode.l10n.t('Kept at: {0}/.previous/{1}.{2}', group.root, p.name, p.previous.setAside),
    );
  }
  if (p.source) lines.push(vscode.l10n.t('Installed from: {0}', p.source));
  return lines.join('\n');
}
