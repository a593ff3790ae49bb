import * as z from 'zod/mini';
import { boundedString, field, type SentParams } from './common';
import { withProgress } from './progress';

export const RestorePreviewParams = z.strictObject({
  /** A workload reference: container ID, name or identity key. */
  workload: field.workload,
  /** The snapshot: record ID, label, or content ID (or a prefix of 8+ hex digits); see SnapshotRef. */
  snapshot: field.snapshotRef,
});
export type RestorePreviewParams = SentParams<typeof RestorePreviewParams>;

export const RestoreSnapshotParams = withProgress(
  z.strictObject({
    workload: field.workload,
    /** The snapshot: record ID, label, or content ID (prefix); restore acts on its content. */
    snapshot: field.snapshotRef,
    /**
     * Must equal the snapshot's full 64-digit ID (like an `X-Confirm-Restore` header); anything
     * else is refused (Rejected). Bounded like any string a request carries.
     */
    confirm: boundedString(256),
  }),
);
export type RestoreSnapshotParams = SentParams<typeof RestoreSnapshotParams>;
