import * as z from 'zod/mini';
import { boundedInt, field, type SentParams } from './common';
import { withProgress } from './progress';

export const ListWorkloadsParams = z.strictObject({
  /** Include stopped containers; default true. */
  all: z._default(z.boolean(), true),
});
export type ListWorkloadsParams = SentParams<typeof ListWorkloadsParams>;

/** Names a workload by container ID, container name or durable identity string. */
export const WorkloadRef = z.strictObject({
  workload: field.workload,
});
export type WorkloadRef = SentParams<typeof WorkloadRef>;

/** Start, stop and restart: the workload, and progress while the engine works. */
export const LifecycleParams = withProgress(WorkloadRef);
export type LifecycleParams = SentParams<typeof LifecycleParams>;

export const WorkloadLogsParams = z.extend(WorkloadRef, {
  /** How many lines from the end; default 500. */
  tail: z._default(boundedInt(1, 10_000), 500),
  /** Prefix each line with the engine's timestamp; default false. */
  timestamps: z._default(z.boolean(), false),
});
export type WorkloadLogsParams = SentParams<typeof WorkloadLogsParams>;
