import * as vscode from 'vscode';
import { ListWorkloadsRequest } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { RefreshReason } from '../../hub';
import type { PluginsProvider } from './PluginsProvider';

/**
 * When the Plugins tree re-lists. Each listing runs an exec per workload, so refreshes are
 * debounced (all but the user's own), and while the view is hidden it only remembers to refresh
 * once shown. On container events it re-lists only when the set of running containers changed:
 * every exec (the listing's own included) is a container event, which would refresh in a loop.
 */
export class PluginsRefresh implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stale = false;
  private running: string | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly provider: PluginsProvider,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    this.subscriptions.push(
      ctx.hub.onRefresh('plugins', (reason) => this.onRefresh(reason)),
      view.onDidChangeVisibility(() => {
        if (view.visible && this.stale) this.schedule();
      }),
    );
  }

  private onRefresh(reason: RefreshReason): void {
    if (reason === 'manual') this.provider.refresh();
    else if (reason === 'containers') void this.onContainersChanged();
    else this.schedule();
  }

  /** Refreshes soon (debounced); when hidden, remembers to refresh once shown. */
  private schedule(): void {
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

  /** Schedules a refresh only when a container started or stopped (one cheap list call). */
  private async onContainersChanged(): Promise<void> {
    if (!this.view.visible) {
      this.stale = true;
      return;
    }
    let running: string;
    try {
      const { workloads } = await this.ctx.request(ListWorkloadsRequest.type, { all: false });
      running = workloads.map((w) => w.id).sort().join(',');
    } catch {
      return;
    }
    if (running === this.running) return;
    this.running = running;
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}
