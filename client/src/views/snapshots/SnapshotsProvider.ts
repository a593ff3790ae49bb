import * as vscode from 'vscode';
import { ListSchedulesRequest, ListSnapshotsRequest, type OrphanSnapshotInfo, type QuarantinedRecordInfo, type ScheduleInfo, type SnapshotInfo, type WorkloadIdentity } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { TreeProvider } from '../TreeProvider';
import { AttentionGroupItem, OrphanItem, QuarantinedItem } from './AttentionItems';
import { ProjectGroupItem, SnapshotSetItem, setsOf } from './ProjectItems';
import { SnapshotItem } from './SnapshotItem';
import { WorkloadGroupItem } from './WorkloadGroupItem';

export type SnapshotNode = WorkloadGroupItem | ProjectGroupItem | SnapshotSetItem | SnapshotItem | AttentionGroupItem | OrphanItem | QuarantinedItem;

/**
 * The Snapshots tree: one group per compose project with project snapshots (its sets, each with
 * its members), one group per workload identity with its own snapshot records (one per capture)
 * newest first, and first of all a "Needs attention" group while the store holds orphaned data
 * or records that could not be read. Groups show their schedules' next and last runs (a
 * scheduled target without snapshots yet gets its group too). Two backend calls per refresh
 * (the catalog and the schedules); with neither the view shows its welcome content.
 */
export class SnapshotsProvider extends TreeProvider<SnapshotNode> {
  /** The last list the tree rendered; commands and tests read it. */
  lastSnapshots: readonly SnapshotInfo[] = [];
  /** Stored data without a readable record, and records set aside, as last listed. */
  lastOrphans: readonly OrphanSnapshotInfo[] = [];
  lastQuarantined: readonly QuarantinedRecordInfo[] = [];
  /** The schedules, as last listed (their next and last runs). */
  lastSchedules: readonly ScheduleInfo[] = [];

  constructor(private readonly ctx: Ctx) {
    super();
  }

  getParent(element: SnapshotNode): SnapshotNode | undefined {
    if (element instanceof SnapshotItem) {
      const set = element.snapshot.set;
      if (set) {
        const found = setsOf(this.lastSnapshots).find((s) => s.id === set.id);
        return found ? new SnapshotSetItem(found) : undefined;
      }
      const key = element.snapshot.workload.key;
      return new WorkloadGroupItem(element.snapshot.workload, this.lastSnapshots.filter((s) => s.workload.key === key && !s.set), this.ctx.busy.get(key), this.schedulesOf(key));
    }
    if (element instanceof SnapshotSetItem) {
      const project = element.set.project;
      return new ProjectGroupItem(project, setsOf(this.lastSnapshots).filter((s) => s.project === project), this.schedulesOf(`project:${project}`));
    }
    if (element instanceof OrphanItem || element instanceof QuarantinedItem) return new AttentionGroupItem(this.lastOrphans, this.lastQuarantined);
    return undefined;
  }

  /** The schedules whose target is this workload key, or `project:<name>`. */
  private schedulesOf(target: string): ScheduleInfo[] {
    return this.lastSchedules.filter((s) => s.entry.target.trim() === target);
  }

  async getChildren(element?: SnapshotNode): Promise<SnapshotNode[]> {
    if (element instanceof WorkloadGroupItem) return element.snapshots.map((s) => new SnapshotItem(s));
    if (element instanceof ProjectGroupItem) return element.sets.map((set) => new SnapshotSetItem(set));
    if (element instanceof SnapshotSetItem) return element.set.members.map((m) => new SnapshotItem(m, true));
    if (element instanceof AttentionGroupItem) return [...element.orphans.map((o) => new OrphanItem(o)), ...element.quarantined.map((q) => new QuarantinedItem(q))];
    if (element) return [];
    if (this.ctx.backendState !== 'ready') return [];
    let snapshots: readonly SnapshotInfo[];
    // An older backend, or one whose schedules cannot be read, lists none: the catalog still shows.
    const schedules = this.ctx.request(ListSchedulesRequest.type, undefined).then(
      (r) => r.schedules,
      () => [] as ScheduleInfo[],
    );
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
    this.lastSchedules = await schedules;
    // Set members show under their set, not under their workload.
    const groups = new Map<string, { identity: WorkloadIdentity; list: SnapshotInfo[] }>();
    for (const s of snapshots) {
      if (s.set) continue;
      const group = groups.get(s.workload.key) ?? { identity: s.workload, list: [] };
      group.list.push(s);
      groups.set(s.workload.key, group);
    }
    const sets = setsOf(snapshots);
    const projects = new Set(sets.map((s) => s.project));
    for (const schedule of this.lastSchedules) {
      const target = schedule.entry.target.trim();
      if (target.startsWith('project:')) projects.add(target.slice('project:'.length));
      else if (!groups.has(target)) groups.set(target, { identity: identityOfTarget(target), list: [] });
    }
    const projectGroups = [...projects]
      .sort((a, b) => a.localeCompare(b))
      .map((p) => new ProjectGroupItem(p, sets.filter((s) => s.project === p), this.schedulesOf(`project:${p}`)));
    const workloads = [...groups.values()]
      .map(({ identity, list }) => new WorkloadGroupItem(identity, list, this.ctx.busy.get(identity.key), this.schedulesOf(identity.key)))
      .sort((a, b) => a.identity.label.localeCompare(b.identity.label));
    const all = [...projectGroups, ...workloads];
    return attention > 0 ? [new AttentionGroupItem(this.lastOrphans, this.lastQuarantined), ...all] : all;
  }
}

/** The identity a schedule's target names, for a group that has no snapshots yet. */
function identityOfTarget(target: string): WorkloadIdentity {
  if (target.startsWith('compose:')) return { kind: 'compose', key: target, label: target.slice('compose:'.length) };
  if (target.startsWith('container:')) return { kind: 'container', key: target, label: target.slice('container:'.length) };
  return { kind: 'container', key: target, label: target };
}
