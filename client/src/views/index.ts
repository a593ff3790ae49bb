import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PluginsProvider } from './plugins/PluginsProvider';
import { PluginsRefresh } from './plugins/refresh';
import { SnapshotsProvider } from './snapshots/SnapshotsProvider';
import { SnapshotsRefresh } from './snapshots/refresh';
import { WorkloadsProvider } from './workloads/WorkloadsProvider';

export const VIEW_IDS = { workloads: 'berth.workloads', plugins: 'berth.plugins', snapshots: 'berth.snapshots' } as const;

export interface Views extends vscode.Disposable {
  readonly workloads: WorkloadsProvider;
  readonly workloadsView: vscode.TreeView<unknown>;
  readonly plugins: PluginsProvider;
  readonly snapshots: SnapshotsProvider;
  readonly snapshotsView: vscode.TreeView<unknown>;
}

/**
 * Creates the three tree views. Each re-lists when the hub asks for its topic (ctx.hub; the
 * Workloads tree at once, the others by their refresh policy), and the engine's events are
 * followed only while one of them is visible.
 */
export function createViews(ctx: Ctx): Views {
  const workloads = new WorkloadsProvider(ctx);
  const workloadsView = vscode.window.createTreeView(VIEW_IDS.workloads, { treeDataProvider: workloads, showCollapseAll: true });
  workloads.attach(workloadsView);
  const plugins = new PluginsProvider(ctx);
  const pluginsView = vscode.window.createTreeView(VIEW_IDS.plugins, { treeDataProvider: plugins, showCollapseAll: true });
  plugins.attach(pluginsView);
  const snapshots = new SnapshotsProvider(ctx);
  const snapshotsView = vscode.window.createTreeView(VIEW_IDS.snapshots, { treeDataProvider: snapshots, showCollapseAll: true });
  snapshots.attach(snapshotsView);
  const trees: readonly vscode.TreeView<unknown>[] = [workloadsView, pluginsView, snapshotsView];
  const watch = () => ctx.setWatching(trees.some((v) => v.visible));
  const disposables: vscode.Disposable[] = [
    workloads,
    workloadsView,
    plugins,
    pluginsView,
    snapshots,
    snapshotsView,
    ctx.hub.onRefresh('workloads', () => workloads.refresh()),
    new PluginsRefresh(ctx, plugins, pluginsView as vscode.TreeView<unknown>),
    new SnapshotsRefresh(ctx.hub, snapshots, snapshotsView as vscode.TreeView<unknown>),
    ...trees.map((tree) => tree.onDidChangeVisibility(watch)),
  ];
  watch();
  return {
    workloads,
    workloadsView: workloadsView as vscode.TreeView<unknown>,
    plugins,
    snapshots,
    snapshotsView: snapshotsView as vscode.TreeView<unknown>,
    dispose: () => {
      for (const d of disposables.reverse()) d.dispose();
    },
  };
}
