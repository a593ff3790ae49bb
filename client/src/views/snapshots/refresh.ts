import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SnapshotsChangedNotification } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { SnapshotsProvider } from './SnapshotsProvider';

/**
 * Re-lists the Snapshots tree when the backend says the catalog changed, when the backend
 * (re)starts, and when the view becomes visible. Subscribes once per language client.
 */
export class SnapshotsRefresh implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  private notification: vscode.Disposable | undefined;

  constructor(ctx: Ctx, provider: SnapshotsProvider, view: vscode.TreeView<unknown>) {
    const follow = () => {
      const client = ctx.languageClient();
      if (ctx.backendState === 'ready' && client && client !== this.client) {
        this.notification?.dispose();
        this.client = client;
        this.notification = client.onNotification(SnapshotsChangedNotification.type, () => provider.refresh());
      }
      provider.refresh();
    };
    this.subscriptions.push(
      ctx.onDidChangeBackendState(follow),
      view.onDidChangeVisibility((e) => e.visible && provider.refresh()),
    );
    follow();
  }

  dispose(): void {
    this.notification?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
