import * as vscode from 'vscode';
import type { Mount, Workload } from '../../../../protocol/src';

/** One mount of a container; named volumes show their size where the engine reports it. */
export class MountItem extends vscode.TreeItem {
  constructor(
    readonly workload: Workload,
    readonly mount: Mount,
    size: number | undefined,
  ) {
    super(mount.target, vscode.TreeItemCollapsibleState.None);
    this.id = `mount:${workload.id}:${mount.target}`;
    const source = mount.type === 'volume' ? (mount.name ?? mount.source) : mount.source;
    const parts = [mount.type === 'volume' ? vscode.l10n.t('volume {0}', source) : `${mount.type} ${source}`];
    if (mount.readOnly) parts.push(vscode.l10n.t('read-only'));
    if (size !== undefined && size >= 0) parts.push(formatBytes(size));
    this.description = parts.join(' · ');
    this.iconPath = new vscode.ThemeIcon(mount.type === 'volume' ? 'database' : mount.type === 'bind' ? 'folder' : 'file-symlink-directory');
    this.contextValue = `mount.${mount.type}${mount.readOnly ? '.ro' : ''}`;
    this.tooltip = [
      vscode.l10n.t('Target: {0}', mount.target),
      vscode.l10n.t('Source: {0}', source),
      vscode.l10n.t('Type: {0}', mount.type + (mount.anonymous ? ` (${vscode.l10n.t('anonymous')})` : '')),
      mount.readOnly ? vscode.l10n.t('Read-only') : vscode.l10n.t('Read-write'),
      ...(size !== undefined && size >= 0 ? [vscode.l10n.t('Size: {0}', formatBytes(size))] : []),
    ].join('\n');
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
