import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PluginsProvider } from './plugins/PluginsProvider';
import { PluginsRefresh } from './plugins/refresh';
import { SnapshotsProvider } from './snapshots/SnapshotsProvider';
import { SnapshotsRefresh } from './snapshots/refresh';
import { WorkloadsProvider } from './workloads/WorkloadsProvider';
import { WorkloadsRefresh } from './workloads/refresh';

export const VIEW_IDS = { workloads: 'berth.workloads', plugins: 'berth.plugins', snapshots: 'berth.snapshots' } as const;

export interface Views extends vscode.Disposable {
  readonly workloads: WorkloadsProvider;
  readonly workloadsView: vscode.TreeView<unknown>;
  readonly plugins: PluginsProvider;
  readonly pluginsRefresh: PluginsRefresh;
  readonly snapshots: SnapshotsProvider;
  readonly snapshotsView: vscode.TreeView<unknown>;
}

/** Creates the three tree views; the engine's events are followed only while one is visible. */
export function createViews(ctx: Ctx): Views {
  const workloads = new WorkloadsProvider(ctx);
  const workloadsView = vscode.window.createTreeView(VIEW_IDS.workloads, { treeDataProvider: workloads, showCollapseAll: true });
  workloads.attach(workloadsView);
  const pluginsProvider = new PluginsProvider(ctx);
  const plugins = vscode.window.createTreeView(VIEW_IDS.plugins, { treeDataProvider: pluginsProvider, showCollapseAll: true });
  pluginsProvider.attach(plugins);
  const pluginsRefresh = new PluginsRefresh(ctx, pluginsProvider, plugins as vscode.TreeView<unknown>);
  const snapshotsProvider = new SnapshotsProvider(ctx);
  const snapshots = vscode.window.createTreeView(VIEW_IDS.snapshots, { treeDataProvider: snapshotsProvider, showCollapseAll: true });
  snapshotsProvider.attach(snapshots);
  const snapshotsRefresh = new SnapshotsRefresh(ctx, snapshotsProvider, snapshots as vscode.TreeView<unknown>);
  const refresh = new WorkloadsRefresh(ctx, workloads, [workloadsView, plugins as vscode.TreeView<unknown>, snapshots as vscode.TreeView<unknown>]);
  const disposables: vscode.Disposable[] = [workloads, workloadsView, pluginsProvider, plugins, pluginsRefresh, snapshotsProvider, snapshots, refresh, snapshotsRefresh];
  return {
    workloads,
    workloadsView: workloadsView as vscode.TreeView<unknown>,
    plugins: pluginsProvider,
    pluginsRefresh,
    snapshots: snapshotsProvider,
    snapshotsView: snapshots as vscode.TreeView<unknown>,
    dispose: () => {
      for (const d of disposables.reverse()) d.dispose();
    },
  };
}
