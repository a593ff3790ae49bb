import * as vscode from 'vscode';

/**
 * What the three Berth trees share: the change event a refresh fires, the tree view the provider
 * is shown in, and the view's message and description.
 */
export abstract class TreeProvider<T extends vscode.TreeItem> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<T | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private view: vscode.TreeView<T> | undefined;

  attach(view: vscode.TreeView<T>): void {
    this.view = view;
  }

  /** Lists the tree again (VS Code calls getChildren for the roots). */
  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  getTreeItem(element: T): vscode.TreeItem {
    return element;
  }

  abstract getChildren(element?: T): Promise<T[]>;

  /** The text shown in place of the tree. VS Code hides the view's welcome content while it is set. */
  protected setMessage(message: string | undefined): void {
    if (this.view) this.view.message = message;
  }

  /** The text beside the view's title. */
  protected setDescription(description: string | undefined): void {
    if (this.view && this.view.description !== description) this.view.description = description;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
