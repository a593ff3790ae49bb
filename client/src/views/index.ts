import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { EmptyProvider } from './emptyProvider';
import { SnapshotsProvider } from './snapshots/SnapshotsProvider';
import { SnapshotsRefresh } from './snapshots/refresh';
import { WorkloadsProvider } from './workloads/WorkloadsProvider';
import { WorkloadsRefresh } from './workloads/refresh';

export const VIEW_IDS = { workloads: 'berth.workloads', plugins: 'berth.plugins', snapshots: 'berth.snapshots' } as const;

export interface Views extends vscode.Disposable {
  readonly workloads: WorkloadsProvider;
  readonly workloadsView: vscode.TreeView<unknown>;
  readonly snapshots: SnapshotsProvider;
  readonly snapshotsView: vscode.TreeView<unknown>;
}

/** Creates the three tree views; the engine's events are followed only while one is visible. */
export function createViews(ctx: Ctx): Views {
  const workloads = new WorkloadsProvider(ctx);
  const workloadsView = vscode.window.createTreeView(VIEW_IDS.workloads, { treeDataProvider: workloads, showCollapseAll: true });
  workloads.attach(workloadsView);
  const plugins = vscode.window.createTreeView(VIEW_IDS.plugins, { treeDataProvider: new EmptyProvider() });
  const snapshotsProvider = new SnapshotsProvider(ctx);
  const snapshots = vscode.window.createTreeView(VIEW_IDS.snapshots, { treeDataProvider: snapshotsProvider, showCollapseAll: true });
  snapshotsProvider.attach(snapshots);
  const refresh = new WorkloadsRefresh(ctx, workloads, [workloadsView, plugins, snapshots]);
  const snapshotsRefresh = new SnapshotsRefresh(ctx, snapshotsProvider, snapshots as vscode.TreeView<unknown>);
  const disposables: vscode.Disposable[] = [workloads, workloadsView, plugins, snapshotsProvider, snapshots, refresh, snapshotsRefresh];
  return {
    workloads,
    workloadsView: workloadsView as vscode.TreeView<unknown>,
    snapshots: snapshotsProvider,
    snapshotsView: snapshots as vscode.TreeView<unknown>,
    dispose: () => {
      for (const d of disposables.reverse()) d.dispose();
    },
  };
}
