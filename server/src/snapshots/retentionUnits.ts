// The groups retention applies to (docs/snapshots.md, "Retention"): a workload's own snapshots
// (each record one unit; members of project sets are left to their project's retention, since
// removing one member would break its set), or a compose project's sets (each set one unit, kept
// or removed whole). Pure: the service loads the records and acts on the decisions.
import type { RetentionDecisionInfo, RetentionPolicy } from '../../../protocol/src';
import type { CatalogRecord } from './catalog';
import { applyRetention, localCalendar, type Calendar, type RetentionUnit } from './retention';

export interface RecordUnit extends RetentionUnit {
  readonly kind: 'record' | 'set';
  readonly capturedAt: string;
  readonly label: string;
  readonly records: readonly CatalogRecord[];
}

/** A label counts as the user's own when no schedule gave it (a schedule's label names a series). */
function labelledByHand(r: CatalogRecord): boolean {
  return r.label !== '' && r.schedule === undefined;
}

/** A workload's records outside any set, one unit each. */
export function workloadUnits(records: readonly CatalogRecord[], key: string): RecordUnit[] {
  return records
    .filter((r) => r.workload.key === key && r.set === undefined)
    .map((r) => ({
      kind: 'record' as const,
      id: r.recordId,
      time: Date.parse(r.capturedAt),
      capturedAt: r.capturedAt,
      label: r.label,
      pinned: r.pinned,
      safetyCopy: r.restoreId !== undefined,
      labelled: labelledByHand(r),
      records: [r],
    }));
}

/** A project's sets, one unit each; a set's time is its first member's capture time. */
export function projectUnits(records: readonly CatalogRecord[], project: string): RecordUnit[] {
  const sets = new Map<string, CatalogRecord[]>();
  for (const r of records) {
    if (r.set?.project !== project) continue;
    const members = sets.get(r.set.id) ?? [];
    members.push(r);
    sets.set(r.set.id, members);
  }
  return [...sets.entries()].map(([id, members]) => {
    const first = [...members].sort((a, b) => (a.capturedAt < b.capturedAt ? -1 : 1))[0] as CatalogRecord;
    return {
      kind: 'set' as const,
      id,
      time: Date.parse(first.capturedAt),
      capturedAt: first.capturedAt,
      label: first.label,
      pinned: members.some((m) => m.pinned),
      safetyCopy: false,
      labelled: members.some(labelledByHand),
      records: members,
    };
  });
}

/**
 * The decisions for one group, newest first. `protect` names units that must stay whatever the
 * policy says (the snapshot a capture has just taken, with `create --keep`).
 */
export function decideUnits(units: readonly RecordUnit[], policy: RetentionPolicy, now: number, protect?: string, calendar: Calendar = localCalendar): { unit: RecordUnit; info: RetentionDecisionInfo }[] {
  return applyRetention(units, policy, now, calendar).map((d) => {
    const reasons = d.unit.id === protect && !d.keep ? [{ rule: 'just-taken' as const }] : d.reasons;
    return {
      unit: d.unit,
      info: {
        id: d.unit.id,
        kind: d.unit.kind,
        capturedAt: d.unit.capturedAt,
        label: d.unit.label,
        keep: reasons.length > 0,
        reasons,
        records: d.unit.records.map((r) => r.recordId),
      },
    };
  });
}
