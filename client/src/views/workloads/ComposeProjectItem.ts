import * as vscode from 'vscode';
import type { Workload } from '../../../../protocol/src';

/** A compose project (label `com.docker.compose.project`) grouping its containers. */
export class ComposeProjectItem extends vscode.TreeItem {
  constructor(
    readonly project: string,
    readonly workloads: readonly Workload[],
  ) {
    super(project, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `project:${project}`;
    const running = workloads.filter((w) => w.state === 'running').length;
    this.description = vscode.l10n.t('{0} of {1} running', running, workloads.length);
    this.iconPath = new vscode.ThemeIcon('layers');
    this.contextValue = 'composeProject';
    this.tooltip = vscode.l10n.t('Compose project {0}', project);
  }
}
