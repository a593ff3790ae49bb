import * as vscode from 'vscode';
import { ListSnapshotsRequest, type OrphanSnapshotInfo, type QuarantinedRecordInfo, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { TreeProvider } from '../TreeProvider';
import { AttentionGroupItem, OrphanItem, QuarantinedItem } from './AttentionItems';
import { SnapshotItem } from './SnapshotItem';
import { WorkloadGroupItem } from './WorkloadGroupItem';

export type SnapshotNode = WorkloadGroupItem | SnapshotItem | AttentionGroupItem | OrphanItem | QuarantinedItem;

/**
 * The Snapshots tree: one group per workload identity, its snapshot records (one per capture)
 * newest first, and first of all a "Needs attention" group while the store holds orphaned data
 * or records that could not be read. One backend call per refresh; with no snapshots the view
 * shows its welcome content (Take Snapshot, Import).
 */
export class SnapshotsProvider extends TreeProvider<SnapshotNode> {
  /** The last list the tree rendered; commands and tests read it. */
  lastSnapshots: readonly SnapshotInfo[] = [];
  /** Stored data without a readable record, and records set aside, as last listed. */
  lastOrphans: readonly OrphanSnapshotInfo[] = [];
  lastQuarantined: readonly QuarantinedRecordInfo[] = [];

  constructor(private readonly ctx: Ctx) {
    super();
  }

  getParent(element: SnapshotNode): SnapshotNode | undefined {
    if (element instanceof SnapshotItem) {
      const key = element.snapshot.workload.key;
      return new WorkloadGroupItem(element.snapshot.workload, this.lastSnapshots.filter((s) => s.workload.key === key), this.ctx.busy.get(key));
    }
    if (element instanceof OrphanItem || element instanceof QuarantinedItem) return new AttentionGroupItem(this.lastOrphans, this.lastQuarantined);
    return undefined;
  }

  async getChildren(element?: SnapshotNode): Promise<SnapshotNode[]> {
    if (element instanceof WorkloadGroupItem) return element.snapshots.map((s) => new SnapshotItem(s));
    if (element instanceof AttentionGroupItem) return [...element.orphans.map((o) => new OrphanItem(o)), ...element.quarantined.map((q) => new QuarantinedItem(q))];
    if (element) return [];
    if (this.ctx.backendState !== 'ready') return [];
    let snapshots: readonly SnapshotInfo[];
    try {
      const listed = await this.ctx.request(ListSnapshotsRequest.type, {});
      snapshots = listed.snapshots;
      // An older backend may not send these.
      this.lastOrphans = listed.orphans ?? [];
      this.lastQuarantined = listed.quarantined ?? [];
    } catch (error) {
      this.setDescription(vscode.l10n.t('Cannot list snapshots: {0}', (error as Error).message));
      this.lastSnapshots = [];
      this.lastOrphans = [];
      this.lastQuarantined = [];
      return [];
    }
    const attention = this.lastOrphans.length + this.lastQuarantined.length;
    this.setDescription(attention > 0 ? vscode.l10n.t('{0} need attention', attention) : undefined);
    this.lastSnapshots = snapshots;
    const groups = new Map<string, SnapshotInfo[]>();
    for (const s of snapshots) groups.set(s.workload.key, [...(groups.get(s.workload.key) ?? []), s]);
    const workloads = [...groups.values()]
      .map((list) => {
        const identity = (list[0] as SnapshotInfo).workload;
        return new WorkloadGroupItem(identity, list, this.ctx.busy.get(identity.key));
      })
      .sort((a, b) => a.identity.label.localeCompare(b.identity.label));
    return attention > 0 ? [new AttentionGroupItem(this.lastOrphans, this.lastQuarantined), ...workloads] : workloads;
  }
}
