import * as z from 'zod/mini';
import { QUIESCE_MODES } from '../choices';
import { boundedInt, boundedString, field, type SentParams } from './common';
import { withProgress } from './progress';

export const ListSnapshotsParams = z.strictObject({
  /** A workload reference (ID, name or identity key); all workloads when absent. */
  workload: z.optional(field.workload),
});
export type ListSnapshotsParams = SentParams<typeof ListSnapshotsParams>;

export const CreateSnapshotParams = withProgress(
  z.strictObject({
    workload: field.workload,
    label: z.optional(field.snapshotLabel),
    /** Defaults to `pause`. */
    quiesce: z.optional(z.enum(QUIESCE_MODES)),
    /** Keep-last-N retention to apply to this workload afterwards; 0 or absent keeps all. */
    keep: z.optional(boundedInt(0, 100_000)),
  }),
);
export type CreateSnapshotParams = SentParams<typeof CreateSnapshotParams>;

/**
 * Names a snapshot: by record ID, by label, or by content ID (or a prefix of 8+ hex digits).
 * Verify, export and restore act on content, so any reference whose matches share one content ID
 * will do; delete and pin act on one record, and a reference matching several is refused with a
 * list of them (InvalidParams).
 */
export const SnapshotRef = z.strictObject({
  id: field.snapshotRef,
  /** Only this workload's records (identity key, or container name). */
  workload: z.optional(field.workload),
});
export type SnapshotRef = SentParams<typeof SnapshotRef>;

export const VerifySnapshotParams = withProgress(SnapshotRef);
export type VerifySnapshotParams = SentParams<typeof VerifySnapshotParams>;

export const PinSnapshotParams = z.extend(SnapshotRef, {
  pinned: z.boolean(),
});
export type PinSnapshotParams = SentParams<typeof PinSnapshotParams>;

export const ExportSnapshotParams = withProgress(
  z.extend(SnapshotRef, {
    /** Absolute path of the file to write (replaced atomically). */
    file: field.hostPath,
  }),
);
export type ExportSnapshotParams = SentParams<typeof ExportSnapshotParams>;

export const ImportSnapshotParams = withProgress(
  z.strictObject({
    /** Absolute path of a portable snapshot file. */
    file: field.hostPath,
  }),
);
export type ImportSnapshotParams = SentParams<typeof ImportSnapshotParams>;

/** A compose project's name, as its containers' `com.docker.compose.project` label gives it. */
const projectName = boundedString(256);

export const CreateProjectSnapshotParams = withProgress(
  z.strictObject({
    /** The compose project: every service is captured as one consistent set. */
    project: projectName,
    label: z.optional(field.snapshotLabel),
    /** Defaults to `pause`; applied to every service together. */
    quiesce: z.optional(z.enum(QUIESCE_MODES)),
  }),
);
export type CreateProjectSnapshotParams = SentParams<typeof CreateProjectSnapshotParams>;

/** A count of a retention rule: how many periods (or snapshots) to keep. */
const keepCount = z.optional(boundedInt(1, 100_000));

/**
 * Retention for one workload's snapshots or one project's sets, with restic's semantics
 * (docs/snapshots.md, "Retention"). Exactly one of `workload` and `project`; at least one rule.
 */
export const PruneSnapshotsParams = z.strictObject({
  workload: z.optional(field.workload),
  /** A compose project: its sets are the units (a set is kept or removed whole). */
  project: z.optional(projectName),
  /** The first release's keep-last-N; the same as `keepLast`. */
  keep: keepCount,
  keepLast: keepCount,
  keepHourly: keepCount,
  keepDaily: keepCount,
  keepWeekly: keepCount,
  keepMonthly: keepCount,
  keepYearly: keepCount,
  /** Keep every snapshot within this duration of the newest: `1y6m`, `30d`, `12h` (m is months). */
  keepWithin: z.optional(boundedString(32)),
  /** Decide and report, remove nothing. */
  dryRun: z.optional(z.boolean()),
});
export type PruneSnapshotsParams = SentParams<typeof PruneSnapshotsParams>;

export const AdoptSnapshotParams = z.strictObject({
  /** The orphaned object's content ID (or a unique prefix of 8+ hex digits). */
  id: field.contentId,
});
export type AdoptSnapshotParams = SentParams<typeof AdoptSnapshotParams>;
