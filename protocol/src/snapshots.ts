import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { QuiesceMode } from './choices';
import type { HookOutcome } from './hooks';
import type { WorkloadIdentity } from './identity';
import type {
  AdoptSnapshotParams,
  CreateProjectSnapshotParams,
  CreateSnapshotParams,
  ExportSnapshotParams,
  ImportSnapshotParams,
  ListSnapshotsParams,
  PinSnapshotParams,
  PruneSnapshotsParams,
  SnapshotRef,
  VerifySnapshotParams,
} from './params/snapshots';

// Each request's params are declared once, as a schema in params/snapshots.ts (the backend validates
// them with it); these are its types.
export type {
  AdoptSnapshotParams,
  CreateProjectSnapshotParams,
  CreateSnapshotParams,
  ExportSnapshotParams,
  ImportSnapshotParams,
  ListSnapshotsParams,
  PinSnapshotParams,
  PruneSnapshotsParams,
  SnapshotRef,
  VerifySnapshotParams,
} from './params/snapshots';

export { QUIESCE_MODES, type QuiesceMode } from './choices';
/**
 * What a snapshot records as used: the setting's mode, or `offline` when the workload was not
 * running (its data was already at rest, so nothing had to be done).
 */
export type AppliedQuiesce = QuiesceMode | 'offline';

export interface SnapshotVolumeInfo {
  /** The volume's directory in the archive: `0/`, `1/`, … */
  readonly index: number;
  /** Mount target inside the container. */
  readonly target: string;
  readonly type: 'volume' | 'bind';
  /** Volume name or bind source path, as captured (informational; restore never uses it). */
  readonly source: string;
  readonly readOnly: boolean;
  /** Regular files in the volume. */
  readonly files: number;
  /** Bytes of regular-file content. */
  readonly bytes: number;
}

export interface SnapshotVerifiedState {
  readonly state: 'never' | 'ok' | 'failed';
  /** ISO time of the last verification. */
  readonly at?: string;
  /** Why it failed. */
  readonly message?: string;
  /** The archive entry that failed, for example `0/db/base/1`. */
  readonly path?: string;
}

/**
 * A project snapshot (docs/snapshots.md, "Project snapshots"): one consistent set of the compose
 * project's services, captured while all of them were quiesced together. Each member is an
 * ordinary record of its service's workload that carries this reference; a set is complete
 * when `members` records carry its ID.
 */
export interface SnapshotSetRef {
  /** `set-<UTC time to the second>-<6 hex digits>`, e.g. `set-20260102-030405-9f3a1c`. */
  readonly id: string;
  /** The compose project. */
  readonly project: string;
  /** This member's compose service. */
  readonly service: string;
  /** How many members the set has. */
  readonly members: number;
}

/** One capture of one workload, as the catalog lists it: its own record (docs/snapshots.md). */
export interface SnapshotInfo {
  /**
   * The record's ID, one per capture: `20260102-030405-9f3a1c` (capture time, then 6 hex digits).
   * Delete and pin act on records; name one by this ID (or its label) when several share content.
   */
  readonly recordId: string;
  /**
   * Content address: 64 hex digits of SHA-256 (see docs/snapshots.md). Captures of identical
   * content share it, and one stored copy of the data.
   */
  readonly id: string;
  readonly workload: WorkloadIdentity;
  /** ISO time of this capture. */
  readonly capturedAt: string;
  /** Free-form label; empty when none. Labelled snapshots are kept by retention. */
  readonly label: string;
  /** Pinned snapshots are kept by retention. */
  readonly pinned: boolean;
  readonly quiesce: AppliedQuiesce;
  /** How the record came to be: a capture, an import, or `adopted` from an orphaned object's manifest. */
  readonly origin: 'capture' | 'import' | 'adopted';
  /** Set on a `pre-restore` safety copy: the ID of the restore that took it. */
  readonly restoreId?: string;
  /** Set on a member of a project snapshot: the set it belongs to. */
  readonly set?: SnapshotSetRef;
  /** Set on a capture a schedule took: the schedule's ID (docs/schedules.md). */
  readonly schedule?: string;
  readonly volumes: readonly SnapshotVolumeInfo[];
  readonly files: number;
  readonly bytes: number;
  /** Size of the stored, compressed data. */
  readonly storedBytes: number;
  /** Entries and mounts that were not captured (hardlinks, devices, tmpfs, …). */
  readonly skipped: number;
  readonly verified: SnapshotVerifiedState;
  /** True when the record's stored data is gone from the store (it is kept and shown, never dropped silently). */
  readonly dataMissing?: boolean;
}

/**
 * A stored object that no readable record refers to: for example its record was damaged and
 * quarantined, or a capture died between storing the data and writing the record. Its data is
 * kept; `berth snapshots adopt <id>` makes a record for it from its own manifest.
 */
export interface OrphanSnapshotInfo {
  /** Content ID (the object's name). */
  readonly id: string;
  /** What the object's own manifest says, when it can be read (then it can be adopted). */
  readonly manifest?: {
    readonly workload: WorkloadIdentity;
    readonly capturedAt: string;
    readonly label: string;
    readonly quiesce: AppliedQuiesce;
    readonly volumes: number;
    readonly files: number;
    readonly bytes: number;
  };
  /** Why it cannot be adopted as it is (the manifest or seal is damaged); absent when it can. */
  readonly problem?: string;
  readonly storedBytes: number;
}

/**
 * A catalog record that could not be read, moved aside under `snapshots/quarantine/<entry>/`
 * (never deleted) or, where that was not possible, still in place. Its snapshot's data stays.
 */
export interface QuarantinedRecordInfo {
  /** The quarantine entry (a folder name), or empty while the record is still in place. */
  readonly entry: string;
  /** Where the record was, relative to the state directory. */
  readonly from: string;
  /** Why it could not be used (not JSON, wrong shape, a newer catalog schema, …). */
  readonly reason: string;
  /** ISO time it was set aside. */
  readonly at: string;
  /** The content ID its file name names (the object it needs). */
  readonly contentId?: string;
  /** The record ID its file name names. */
  readonly recordId?: string;
  /** Whether that object is in the store (then `adopt` restores a record for it). */
  readonly objectPresent: boolean;
}

export interface ListSnapshotsResult {
  readonly snapshots: readonly SnapshotInfo[];
  /** Stored objects without a readable record (kept, adoptable); of the workload when one is asked for. */
  readonly orphans: readonly OrphanSnapshotInfo[];
  /** Records that could not be read: set aside, reported, never deleted. */
  readonly quarantined: readonly QuarantinedRecordInfo[];
}
/** Client → server. The catalog, newest first. Works without the engine for identity keys. */
export namespace ListSnapshotsRequest {
  export const method = 'berth/snapshots/list';
  export const type = new RequestType<ListSnapshotsParams, ListSnapshotsResult, void>(method);
}

export interface CreateSnapshotResult {
  readonly snapshot: SnapshotInfo;
  /**
   * True when the store already held this content: the capture got its own record, and shares
   * the stored data (no second copy was made).
   */
  readonly existing: boolean;
  /** The record ID of this workload's newest earlier capture of the same content, if any ("unchanged since"). */
  readonly sameContentAs?: string;
  /** What was not captured, one line each (hardlinks, special files, tmpfs, …). */
  readonly warnings: readonly string[];
  /** Record IDs that retention removed afterwards. */
  readonly pruned: readonly string[];
  /** The workload's hooks that ran (docs/consistency.md); absent when it has none. */
  readonly hooks?: readonly HookOutcome[];
}
/** Client → server. Captures a workload's volumes; long-running (work-done progress, cancel). */
export namespace CreateSnapshotRequest {
  export const method = 'berth/snapshots/create';
  export const type = new RequestType<CreateSnapshotParams, CreateSnapshotResult, void>(method);
}

export interface CreateProjectSnapshotResult {
  /** The set: its ID names it (`set-…`), and every member record carries it. */
  readonly set: { readonly id: string; readonly project: string; readonly members: number };
  /** One record per service with data, in dependency order. */
  readonly snapshots: readonly SnapshotInfo[];
  /** Services of the project without a volume to capture (their hooks ran; they were not quiesced). */
  readonly withoutData: readonly string[];
  readonly warnings: readonly string[];
  readonly hooks?: readonly HookOutcome[];
}
/**
 * Client → server. Captures every service of a compose project as one consistent set: all are
 * quiesced together before any capture starts and released together after. Long-running.
 */
export namespace CreateProjectSnapshotRequest {
  export const method = 'berth/snapshots/createProject';
  export const type = new RequestType<CreateProjectSnapshotParams, CreateProjectSnapshotResult, void>(method);
}

export interface VerifySnapshotResult {
  readonly id: string;
  readonly ok: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly failure?: { readonly message: string; readonly path?: string };
  /** Things that did not stop the check, such as a result that could not be recorded. */
  readonly warnings?: readonly string[];
}
/** Client → server. Re-reads the stored data: every file's size and hash, and the ID. */
export namespace VerifySnapshotRequest {
  export const method = 'berth/snapshots/verify';
  export const type = new RequestType<VerifySnapshotParams, VerifySnapshotResult, void>(method);
}

export interface DeleteSnapshotResult {
  readonly deleted: readonly { readonly recordId: string; readonly id: string; readonly workload: string }[];
  /** Stored bytes freed (0 when another workload still references the content). */
  readonly freedBytes: number;
}
/** Client → server. Removes one record; its stored data goes when no record needs it any more. */
export namespace DeleteSnapshotRequest {
  export const method = 'berth/snapshots/delete';
  export const type = new RequestType<SnapshotRef, DeleteSnapshotResult, void>(method);
}

export interface PinSnapshotResult {
  readonly snapshots: readonly SnapshotInfo[];
}
/** Client → server. Pins (or unpins) a snapshot so retention keeps it. */
export namespace PinSnapshotRequest {
  export const method = 'berth/snapshots/pin';
  export const type = new RequestType<PinSnapshotParams, PinSnapshotResult, void>(method);
}

export interface ExportSnapshotResult {
  readonly file: string;
  readonly bytes: number;
  /** SHA-256 of the written file. */
  readonly sha256: string;
}
/** Client → server. Writes the portable file (one gzip tar: manifest.json, then 0/, 1/, …). */
export namespace ExportSnapshotRequest {
  export const method = 'berth/snapshots/export';
  export const type = new RequestType<ExportSnapshotParams, ExportSnapshotResult, void>(method);
}

export interface ImportSnapshotResult {
  readonly snapshot: SnapshotInfo;
  /**
   * True when the catalog already held this capture (same workload, content and capture time):
   * no record was added.
   */
  readonly existing: boolean;
}
/** Client → server. Verifies a file from anywhere completely, then stores it (Rejected otherwise). */
export namespace ImportSnapshotRequest {
  export const method = 'berth/snapshots/import';
  export const type = new RequestType<ImportSnapshotParams, ImportSnapshotResult, void>(method);
}

/** A retention policy with restic's semantics (docs/snapshots.md, "Retention"). */
export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** restic's duration: `1y2m3d4h` (m is months). */
  readonly within?: string;
}

/** Why retention keeps a snapshot (or a set); restic's reasons plus Berth's own protections. */
export interface RetentionReason {
  readonly rule: 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'within' | 'pinned' | 'safety-copy' | 'labelled' | 'just-taken';
  /** Kept as the oldest unit because the rule had counts left (restic's "oldest daily snapshot"). */
  readonly oldest?: boolean;
  /** For `within`: the duration. */
  readonly duration?: string;
}

/** What retention decided about one snapshot record, or one project set. */
export interface RetentionDecisionInfo {
  /** A record ID, or a set ID. */
  readonly id: string;
  readonly kind: 'record' | 'set';
  readonly capturedAt: string;
  readonly label: string;
  readonly keep: boolean;
  /** Every rule that keeps it; empty when it is removed (no rule keeps it). */
  readonly reasons: readonly RetentionReason[];
  /** The records it stands for (a set's members). */
  readonly records: readonly string[];
}

export interface PruneSnapshotsResult {
  /** Record IDs removed (with `dryRun`: that would be removed). */
  readonly removed: readonly string[];
  readonly dryRun?: boolean;
  /** The policy in words. */
  readonly policy?: string;
  /** Every unit of the group, newest first, kept or removed, and why. */
  readonly decisions?: readonly RetentionDecisionInfo[];
  /** Stored bytes freed. */
  readonly freedBytes?: number;
}
/** Client → server. Applies retention to one workload's snapshots or one project's sets now. */
export namespace PruneSnapshotsRequest {
  export const method = 'berth/snapshots/prune';
  export const type = new RequestType<PruneSnapshotsParams, PruneSnapshotsResult, void>(method);
}

export interface AdoptSnapshotResult {
  readonly snapshot: SnapshotInfo;
}
/**
 * Client → server. Makes a catalog record for a stored object that has none it can read, from
 * the object's own manifest (workload, time, label, quiesce, volumes). Conflict when the object
 * already has its records and none was set aside.
 */
export namespace AdoptSnapshotRequest {
  export const method = 'berth/snapshots/adopt';
  export const type = new RequestType<AdoptSnapshotParams, AdoptSnapshotResult, void>(method);
}

export interface SnapshotsChangedParams {
  /** The operation that changed the catalog, for logs. */
  readonly reason: 'create' | 'verify' | 'delete' | 'pin' | 'import' | 'prune' | 'adopt' | 'schedule';
}
/** Server → client. The catalog changed; the Snapshots view re-lists. */
export namespace SnapshotsChangedNotification {
  export const method = 'berth/snapshots/didChange';
  export const type = new NotificationType<SnapshotsChangedParams>(method);
}
