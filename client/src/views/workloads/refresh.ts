import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { WorkloadsProvider } from './WorkloadsProvider';

/**
 * Tells the backend to follow engine events only while a Berth view is visible, and refreshes
 * the Workloads tree when the backend says something changed (the backend debounces).
 */
export class WorkloadsRefresh implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(ctx: Ctx, provider: WorkloadsProvider, views: readonly vscode.TreeView<unknown>[]) {
    const update = () => ctx.setWatching(views.some((v) => v.visible));
    for (const view of views) this.subscriptions.push(view.onDidChangeVisibility(update));
    this.subscriptions.push(
      ctx.onDidChangeWorkloads(() => provider.refresh()),
      ctx.onDidChangeEngineStatus(() => provider.refresh()),
    );
    update();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
