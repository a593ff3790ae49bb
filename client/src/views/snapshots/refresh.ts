import * as vscode from 'vscode';
import type { NotificationHub } from '../../hub';
import type { SnapshotsProvider } from './SnapshotsProvider';

/** Ages ("5 min ago") move on; re-list this often while the view is visible. */
const AGE_REFRESH_MS = 60_000;

/**
 * When the Snapshots tree re-lists: whenever the hub says so (the catalog changed, the backend
 * started or stopped, a restore began or ended), when the view becomes visible, and once a
 * minute while it is visible so the ages stay true.
 */
export class SnapshotsRefresh implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(hub: NotificationHub, provider: SnapshotsProvider, view: vscode.TreeView<unknown>) {
    const visibility = (visible: boolean) => {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      if (!visible) return;
      provider.refresh();
      this.timer = setInterval(() => provider.refresh(), AGE_REFRESH_MS);
    };
    this.subscriptions.push(
      hub.onRefresh('snapshots', () => provider.refresh()),
      view.onDidChangeVisibility((e) => visibility(e.visible)),
    );
    provider.refresh();
    visibility(view.visible);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}
