import * as vscode from 'vscode';
import { PluginsChangedNotification } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { PluginsProvider } from './PluginsProvider';

/**
 * Refreshes the Plugins tree when it matters and it is visible: the backend says a workload's
 * plugins changed (an operation, or the start-up sweep), containers changed (one started or
 * stopped), the engine came back, or the view became visible after changes while hidden.
 * Refreshes are debounced, because each one runs a listing exec per workload.
 */
export class PluginsRefresh implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private notification: vscode.Disposable | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stale = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly provider: PluginsProvider,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    this.subscriptions.push(
      ctx.onDidChangeWorkloads(() => this.schedule()),
      ctx.onDidChangeEngineStatus(() => this.schedule()),
      ctx.onDidChangeBackendState((state) => {
        this.listen(state === 'ready');
        this.schedule();
      }),
      view.onDidChangeVisibility(() => {
        if (view.visible && this.stale) this.schedule();
      }),
    );
    this.listen(ctx.backendState === 'ready');
  }

  /** Refreshes soon (debounced); when hidden, remembers to refresh once shown. */
  schedule(): void {
    if (!this.view.visible) {
      this.stale = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.stale = false;
      this.provider.refresh();
    }, 200);
  }

  private listen(ready: boolean): void {
    this.notification?.dispose();
    this.notification = undefined;
    const client = this.ctx.languageClient();
    if (ready && client) this.notification = client.onNotification(PluginsChangedNotification.type, () => this.schedule());
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.notification?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
