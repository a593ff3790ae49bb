import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { HookOutcome } from './hooks';
import type { WorkloadIdentity } from './identity';
import type { RestorePreviewParams, RestoreSnapshotParams } from './params/restore';

// Each request's params are declared once, as a schema in params/restore.ts (the backend validates
// them with it); these are its types.
export type { RestorePreviewParams, RestoreSnapshotParams } from './params/restore';

/** The run state a workload had before the restore, which it gets back. */
export type PriorRunState = 'running' | 'paused' | 'stopped';

export interface RestoreVolumePlan {
  readonly index: number;
  /** Mount target inside the container (the key the snapshot and the container are matched by). */
  readonly target: string;
  readonly type: 'volume' | 'bind';
  /** The CURRENT source of that mount: volume name or host path (never the manifest's). */
  readonly source: string;
  /** Bytes and regular files the snapshot holds for this volume. */
  readonly bytes: number;
  readonly files: number;
  /** Current size of the live data in bytes, when the engine reports it (named volumes); else -1. */
  readonly currentBytes: number;
}

export interface RestorePreviewResult {
  readonly workload: { readonly id: string; readonly name: string; readonly identity: WorkloadIdentity; readonly state: string };
  readonly snapshot: { readonly id: string; readonly label: string; readonly capturedAt: string; readonly workload: WorkloadIdentity };
  readonly volumes: readonly RestoreVolumePlan[];
  /** What a restore would have to do to the workload: it is stopped when running or paused. */
  readonly willStop: boolean;
}
/**
 * Client → server. Checks guard 1 (every snapshot volume maps to a current mount of the same
 * type, none read-only, none unsafe) without touching anything, for the confirmation dialog.
 * Answers Rejected listing every mismatch.
 */
export namespace RestorePreviewRequest {
  export const method = 'berth/snapshots/restorePreview';
  export const type = new RequestType<RestorePreviewParams, RestorePreviewResult, void>(method);
}

/** A moved-aside directory of old data that a restore kept, and why. */
export interface KeptOldData {
  /** Its path on the engine host. */
  readonly path: string;
  readonly reason: string;
}

export interface RestoreSnapshotResult {
  readonly workload: { readonly id: string; readonly name: string; readonly identity: WorkloadIdentity };
  readonly snapshot: string;
  readonly volumes: readonly RestoreVolumePlan[];
  /**
   * The pre-restore safety snapshot: the data the restore replaced, stored as a normal snapshot
   * labelled `pre-restore`. Absent only when `safetyPending` says why it is not stored yet.
   */
  readonly safetySnapshot?: string;
  /** Why the safety copy is not in the store yet; it is then kept on the engine host (see `safetyCopies`). */
  readonly safetyPending?: string;
  /** Engine-host paths of moved-aside old data that is still kept (only with `safetyPending`). */
  readonly safetyCopies?: readonly string[];
  /**
   * Replaced data kept on the engine host for good (Berth never deletes it): the pre-restore
   * snapshot does not hold all of it (a socket, a name the format cannot store). Also in `warnings`.
   */
  readonly keptAsides?: readonly KeptOldData[];
  readonly priorState: PriorRunState;
  /** The workload's state afterwards (`removed` when its container disappeared during the restore). */
  readonly finalState: string;
  /** Milliseconds from the stop request to the end of the start: the workload's downtime. */
  readonly downtimeMs: number;
  readonly durationMs: number;
  /** Set when a cancel arrived after the point of no return and was refused; says why. */
  readonly cancelRefused?: string;
  readonly warnings: readonly string[];
  /** The workload's pre-restore and post-restore hooks that ran (docs/consistency.md). */
  readonly hooks?: readonly HookOutcome[];
}
/**
 * Client → server. Replaces the workload's live volumes with the snapshot's content: verify,
 * stage beside each target, verify the staged tree, stop, swap by rename, start, keep the old
 * data as a `pre-restore` snapshot. Long-running: work-done progress and cancellation (honoured
 * until the point of no return). Busy when another operation holds the workload.
 */
export namespace RestoreSnapshotRequest {
  export const method = 'berth/snapshots/restore';
  export const type = new RequestType<RestoreSnapshotParams, RestoreSnapshotResult, void>(method);
}

export type RecoveryOutcome = 'rolled-back' | 'completed' | 'skipped-busy' | 'pending';

export interface RecoveredRestore {
  /** The restore's journal ID. */
  readonly id: string;
  readonly workload: string;
  readonly snapshot: string;
  /** The step the restore had reached. */
  readonly step: string;
  readonly outcome: RecoveryOutcome;
  /** Per volume, what is live now. */
  readonly volumes: readonly { readonly target: string; readonly live: 'old' | 'new' | 'unknown' }[];
  /** The workload was started again because it ran before the restore. */
  readonly restarted: boolean;
  /** The safety snapshot stored by recovery (or earlier by the restore itself). */
  readonly safetySnapshot?: string;
  /** Replaced data kept on the engine host because the safety snapshot does not hold all of it. */
  readonly keptAsides?: readonly KeptOldData[];
  /** Data found where a volume's old data belonged, written by someone else: kept at these host paths. */
  readonly conflicts: readonly string[];
  /** What recovery did beyond the usual, for the log (not a failure). */
  readonly notes: readonly string[];
  /** Why the outcome is still `pending`. */
  readonly problems: readonly string[];
}

export interface RecoveryReport {
  readonly restores: readonly RecoveredRestore[];
  /** Helper containers left by dead processes, removed. */
  readonly helpersRemoved: number;
  /** Unreadable journals set aside (renamed `*.corrupt`) instead of acted upon. */
  readonly corruptJournals: readonly string[];
  readonly problems: readonly string[];
  /** True when recovery changed anything (the client shows a notification then). */
  readonly didSomething: boolean;
}

/** Client → server. Runs the recovery sweep now (also run at backend start and by `berth recover`). */
export namespace RunRecoveryRequest {
  export const method = 'berth/recovery/run';
  export const type = new RequestType<void, RecoveryReport, void>(method);
}

/** Client → server. The report of the sweep the backend ran at its start (before serving requests). */
export namespace StartupRecoveryRequest {
  export const method = 'berth/recovery/startupReport';
  export const type = new RequestType<void, { readonly report?: RecoveryReport }, void>(method);
}

/** Server → client. A recovery finished work in the background (for example a safety copy stored). */
export namespace RecoveryDidRunNotification {
  export const method = 'berth/recovery/didRun';
  export const type = new NotificationType<RecoveryReport>(method);
}
