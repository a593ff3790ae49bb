import * as vscode from 'vscode';

/** A line of text under a workload that could not be listed. `contextValue`: `pluginMessage`. */
export class PluginsMessageItem extends vscode.TreeItem {
  constructor(id: string, message: string) {
    super(message, vscode.TreeItemCollapsibleState.None);
    this.id = id;
    this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    this.contextValue = 'pluginMessage';
    this.tooltip = message;
  }
}
