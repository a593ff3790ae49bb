import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { WorkloadIdentity } from './identity';

/** How a workload is held still while its volumes are read (`berth.snapshots.quiesce`). */
export type QuiesceMode = 'pause' | 'stop' | 'none';
/**
 * What a snapshot records as used: the setting's mode, or `offline` when the workload was not
 * running (its data was already at rest, so nothing had to be done).
 */
export type AppliedQuiesce = QuiesceMode | 'offline';

export const QUIESCE_MODES: readonly QuiesceMode[] = ['pause', 'stop', 'none'];

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

/** One snapshot of one workload, as the catalog lists it. */
export interface SnapshotInfo {
  /** Content address: 64 hex digits of SHA-256 (see docs/snapshots.md). */
  readonly id: string;
  readonly workload: WorkloadIdentity;
  /** ISO time of the latest capture that produced this content for this workload. */
  readonly capturedAt: string;
  /** ISO time of the first one. */
  readonly firstCapturedAt: string;
  /** Free-form label; empty when none. Labelled snapshots are kept by retention. */
  readonly label: string;
  /** Pinned snapshots are kept by retention. */
  readonly pinned: boolean;
  readonly quiesce: AppliedQuiesce;
  readonly origin: 'capture' | 'import';
  readonly volumes: readonly SnapshotVolumeInfo[];
  readonly files: number;
  readonly bytes: number;
  /** Size of the stored, compressed data. */
  readonly storedBytes: number;
  /** Entries and mounts that were not captured (hardlinks, devices, tmpfs, …). */
  readonly skipped: number;
  readonly verified: SnapshotVerifiedState;
}

export interface ListSnapshotsParams {
  /** A workload reference (ID, name or identity key); all workloads when absent. */
  readonly workload?: string;
}
export interface ListSnapshotsResult {
  readonly snapshots: readonly SnapshotInfo[];
}
/** Client → server. The catalog, newest first. Works without the engine for identity keys. */
export namespace ListSnapshotsRequest {
  export const method = 'berth/snapshots/list';
  export const type = new RequestType<ListSnapshotsParams, ListSnapshotsResult, void>(method);
}

export interface CreateSnapshotParams {
  readonly workload: string;
  readonly label?: string;
  /** Defaults to `pause`. */
  readonly quiesce?: QuiesceMode;
  /** Keep-last-N retention to apply to this workload afterwards; 0 or absent keeps all. */
  readonly keep?: number;
}
export interface CreateSnapshotResult {
  readonly snapshot: SnapshotInfo;
  /** True when this content was already stored for this workload: no second copy was made. */
  readonly existing: boolean;
  /** What was not captured, one line each (hardlinks, special files, tmpfs, …). */
  readonly warnings: readonly string[];
  /** Snapshot IDs that retention removed afterwards. */
  readonly pruned: readonly string[];
}
/** Client → server. Captures a workload's volumes; long-running (work-done progress, cancel). */
export namespace CreateSnapshotRequest {
  export const method = 'berth/snapshots/create';
  export const type = new RequestType<CreateSnapshotParams, CreateSnapshotResult, void>(method);
}

/** Names a snapshot by ID (or a unique prefix of 8+ hex digits), optionally of one workload. */
export interface SnapshotRef {
  readonly id: string;
  /** Identity key; needed only when several workloads share the same content. */
  readonly workload?: string;
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
  export const type = new RequestType<SnapshotRef, VerifySnapshotResult, void>(method);
}

export interface DeleteSnapshotResult {
  readonly deleted: readonly { readonly id: string; readonly workload: string }[];
  /** Stored bytes freed (0 when another workload still references the content). */
  readonly freedBytes: number;
}
/** Client → server. Removes a snapshot from the catalog (all workloads' entries unless `workload`). */
export namespace DeleteSnapshotRequest {
  export const method = 'berth/snapshots/delete';
  export const type = new RequestType<SnapshotRef, DeleteSnapshotResult, void>(method);
}

export interface PinSnapshotParams extends SnapshotRef {
  readonly pinned: boolean;
}
export interface PinSnapshotResult {
  readonly snapshots: readonly SnapshotInfo[];
}
/** Client → server. Pins (or unpins) a snapshot so retention keeps it. */
export namespace PinSnapshotRequest {
  export const method = 'berth/snapshots/pin';
  export const type = new RequestType<PinSnapshotParams, PinSnapshotResult, void>(method);
}

export interface ExportSnapshotParams extends SnapshotRef {
  /** Absolute path of the file to write (replaced atomically). */
  readonly file: string;
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

export interface ImportSnapshotParams {
  /** Absolute path of a portable snapshot file. */
  readonly file: string;
}
export interface ImportSnapshotResult {
  readonly snapshot: SnapshotInfo;
  /** True when the catalog already held this snapshot for this workload. */
  readonly existing: boolean;
}
/** Client → server. Verifies a file from anywhere completely, then stores it (Rejected otherwise). */
export namespace ImportSnapshotRequest {
  export const method = 'berth/snapshots/import';
  export const type = new RequestType<ImportSnapshotParams, ImportSnapshotResult, void>(method);
}

export interface PruneSnapshotsParams {
  readonly workload: string;
  /** Keep the newest N; pinned and labelled snapshots are always kept. */
  readonly keep: number;
}
export interface PruneSnapshotsResult {
  readonly removed: readonly string[];
}
/** Client → server. Applies keep-last-N retention to one workload now. */
export namespace PruneSnapshotsRequest {
  export const method = 'berth/snapshots/prune';
  export const type = new RequestType<PruneSnapshotsParams, PruneSnapshotsResult, void>(method);
}

export interface SnapshotsChangedParams {
  /** The operation that changed the catalog, for logs. */
  readonly reason: 'create' | 'verify' | 'delete' | 'pin' | 'import' | 'prune';
}
/** Server → client. The catalog changed; the Snapshots view re-lists. */
export namespace SnapshotsChangedNotification {
  export const method = 'berth/snapshots/didChange';
  export const type = new NotificationType<SnapshotsChangedParams>(method);
}
