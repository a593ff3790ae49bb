import type * as vscode from 'vscode';

/** A view with no items yet: VS Code then shows the view's welcome content. */
export class EmptyProvider implements vscode.TreeDataProvider<never> {
  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }
  getChildren(): never[] {
    return [];
  }
}
