// What a schedule does, through the snapshot service: a capture of its workload, or of its
// project as one set, carrying the schedule's ID; then its retention over the same target.
import type { RetentionPolicy, ScheduleEntry } from '../../../protocol/src';
import { silentProgress } from '../operation';
import type { SnapshotService } from '../snapshots/snapshotService';
import { targetOf } from './entry';
import type { ScheduleTaker } from './scheduleService';

export function snapshotTaker(snapshots: SnapshotService): ScheduleTaker {
  return {
    async take(entry: ScheduleEntry, schedule: string, signal: AbortSignal) {
      const target = targetOf(entry);
      const ctx = { signal, progress: silentProgress };
      const common = { ...(entry.label ? { label: entry.label } : {}), quiesce: entry.quiesce ?? 'pause' };
      if (target.kind === 'project') {
        const result = await snapshots.createProject({ project: target.project, ...common }, ctx, { schedule });
        return { recordIds: result.snapshots.map((s) => s.recordId), setId: result.set.id };
      }
      const result = await snapshots.create({ workload: target.ref, ...common }, ctx, { schedule });
      return { recordIds: [result.snapshot.recordId] };
    },
    async prune(entry: ScheduleEntry, policy: RetentionPolicy) {
      const target = targetOf(entry);
      const result = await snapshots.prune({
        ...(target.kind === 'project' ? { project: target.project } : { workload: target.ref }),
        ...(policy.last !== undefined ? { keepLast: policy.last } : {}),
        ...(policy.hourly !== undefined ? { keepHourly: policy.hourly } : {}),
        ...(policy.daily !== undefined ? { keepDaily: policy.daily } : {}),
        ...(policy.weekly !== undefined ? { keepWeekly: policy.weekly } : {}),
        ...(policy.monthly !== undefined ? { keepMonthly: policy.monthly } : {}),
        ...(policy.yearly !== undefined ? { keepYearly: policy.yearly } : {}),
        ...(policy.within !== undefined ? { keepWithin: policy.within } : {}),
      });
      return [...result.removed];
    },
  };
}
