import * as vscode from 'vscode';
import { ListSnapshotsRequest, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { SnapshotItem } from './SnapshotItem';
import { WorkloadGroupItem } from './WorkloadGroupItem';

export type SnapshotNode = WorkloadGroupItem | SnapshotItem;

/**
 * The Snapshots tree: one group per workload identity, its snapshots newest first. One backend
 * call per refresh; with no snapshots the view shows its welcome content (Take Snapshot, Import).
 */
export class SnapshotsProvider implements vscode.TreeDataProvider<SnapshotNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<SnapshotNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private view: vscode.TreeView<SnapshotNode> | undefined;
  /** The last list the tree rendered; commands and tests read it. */
  lastSnapshots: readonly SnapshotInfo[] = [];
  /** Workload identity keys that Berth is restoring (their group shows busy). */
  readonly busy = new Map<string, string>();

  constructor(private readonly ctx: Ctx) {}

  attach(view: vscode.TreeView<SnapshotNode>): void {
    this.view = view;
  }

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  getTreeItem(element: SnapshotNode): vscode.TreeItem {
    return element;
  }

  getParent(element: SnapshotNode): SnapshotNode | undefined {
    if (element instanceof SnapshotItem) {
      const key = element.snapshot.workload.key;
      return new WorkloadGroupItem(element.snapshot.workload, this.lastSnapshots.filter((s) => s.workload.key === key), this.busy.get(key));
    }
    return undefined;
  }

  async getChildren(element?: SnapshotNode): Promise<SnapshotNode[]> {
    if (element instanceof WorkloadGroupItem) return element.snapshots.map((s) => new SnapshotItem(s));
    if (element) return [];
    if (this.ctx.backendState !== 'ready') return [];
    let snapshots: readonly SnapshotInfo[];
    try {
      snapshots = (await this.ctx.request(ListSnapshotsRequest.type, {})).snapshots;
    } catch (error) {
      this.setDescription(vscode.l10n.t('Cannot list snapshots: {0}', (error as Error).message));
      this.lastSnapshots = [];
      return [];
    }
    this.setDescription(undefined);
    this.lastSnapshots = snapshots;
    const groups = new Map<string, SnapshotInfo[]>();
    for (const s of snapshots) groups.set(s.workload.key, [...(groups.get(s.workload.key) ?? []), s]);
    return [...groups.values()]
      .map((list) => {
        const identity = (list[0] as SnapshotInfo).workload;
        return new WorkloadGroupItem(identity, list, this.busy.get(identity.key));
      })
      .sort((a, b) => a.identity.label.localeCompare(b.identity.label));
  }

  private setDescription(description: string | undefined): void {
    if (this.view && this.view.description !== description) this.view.description = description;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
