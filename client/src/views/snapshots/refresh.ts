import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SnapshotsChangedNotification } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { SnapshotsProvider } from './SnapshotsProvider';

/** Ages ("5 min ago") move on; re-list this often while the view is visible. */
const AGE_REFRESH_MS = 60_000;

/**
 * Re-lists the Snapshots tree when the backend says the catalog changed, when the backend
 * (re)starts, when the view becomes visible, and once a minute while it is visible so the ages
 * stay true. Subscribes once per language client.
 */
export class SnapshotsRefresh implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  private notification: vscode.Disposable | undefined;
  private timer: NodeJS.Timeout | undefined;

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
    const visibility = (visible: boolean) => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      if (!visible) return;
      provider.refresh();
      this.timer = setInterval(() => provider.refresh(), AGE_REFRESH_MS);
    };
    this.subscriptions.push(
      ctx.onDidChangeBackendState(follow),
      view.onDidChangeVisibility((e) => visibility(e.visible)),
    );
    follow();
    visibility(view.visible);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.notification?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
