import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { WorkloadIdentity } from './identity';
import type { LifecycleParams, ListWorkloadsParams, WorkloadLogsParams } from './params/workloads';

// Each request's params are declared once, as a schema in params/workloads.ts (the backend validates
// them with it); these are its types.
export type { LifecycleParams, ListWorkloadsParams, WorkloadLogsParams, WorkloadRef } from './params/workloads';

export type WorkloadState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type WorkloadHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface Mount {
  readonly type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster';
  /** Volume name for named volumes; absent for binds and tmpfs. */
  readonly name?: string;
  /** Host path (bind) or the engine's data path of the volume. */
  readonly source: string;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
  /** Anonymous volumes have a generated name and no compose/user meaning. */
  readonly anonymous: boolean;
}

export interface Workload {
  /** Transient handle: changes when the container is re-created. Never key durable records by it. */
  readonly id: string;
  /** Durable identity; see identity.ts. */
  readonly identity: WorkloadIdentity;
  /** Container name without the leading slash. */
  readonly name: string;
  readonly image: string;
  readonly state: WorkloadState;
  readonly health: WorkloadHealth;
  /** The engine's human status line, for example `Up 3 minutes (healthy)`. */
  readonly status: string;
  /** Seconds since the epoch. */
  readonly created: number;
  readonly composeProject?: string;
  readonly composeService?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly mounts: readonly Mount[];
  /** The operation Berth is running on it right now, if any (install, restore, …). */
  readonly busy?: string;
}

export interface ListWorkloadsResult {
  readonly workloads: readonly Workload[];
}
/** Client → server. Lists the engine's containers in one engine call. */
export namespace ListWorkloadsRequest {
  export const method = 'berth/workloads/list';
  export const type = new RequestType<ListWorkloadsParams, ListWorkloadsResult, void>(method);
}

export type LifecycleAction = 'start' | 'stop' | 'restart';
export interface LifecycleResult {
  readonly workload: Workload;
}
/** Client → server. Starts a container; resolves when the engine reports it started. */
export namespace StartWorkloadRequest {
  export const method = 'berth/workloads/start';
  export const type = new RequestType<LifecycleParams, LifecycleResult, void>(method);
}
/** Client → server. Stops a container (the engine's default grace period). */
export namespace StopWorkloadRequest {
  export const method = 'berth/workloads/stop';
  export const type = new RequestType<LifecycleParams, LifecycleResult, void>(method);
}
/** Client → server. Restarts a container. */
export namespace RestartWorkloadRequest {
  export const method = 'berth/workloads/restart';
  export const type = new RequestType<LifecycleParams, LifecycleResult, void>(method);
}

export interface WorkloadLogsResult {
  readonly name: string;
  /** stdout and stderr interleaved in engine order, demultiplexed, UTF-8. */
  readonly text: string;
}
/** Client → server. The tail of a container's logs. */
export namespace WorkloadLogsRequest {
  export const method = 'berth/workloads/logs';
  export const type = new RequestType<WorkloadLogsParams, WorkloadLogsResult, void>(method);
}

export interface VolumeUsage {
  readonly name: string;
  /** Bytes, or -1 where the engine does not report it. */
  readonly size: number;
  readonly refCount: number;
}
export interface VolumeUsageResult {
  readonly volumes: readonly VolumeUsage[];
}
/** Client → server. Named volumes' sizes as the engine reports them (`docker system df`). */
export namespace VolumeUsageRequest {
  export const method = 'berth/volumes/usage';
  export const type = new RequestType<void, VolumeUsageResult, void>(method);
}

export interface WatchWorkloadsParams {
  /** True while at least one Berth view is visible. */
  readonly visible: boolean;
}
/** Client → server. The engine's event stream is subscribed only while a view is visible. */
export namespace WatchWorkloadsNotification {
  export const method = 'berth/workloads/watch';
  export const type = new NotificationType<WatchWorkloadsParams>(method);
}

export interface WorkloadsChangedParams {
  /** What caused it: an engine event, the fallback poll, or a Berth operation. */
  readonly reason: 'event' | 'poll' | 'operation' | 'reconnect';
}
/** Server → client. Workloads changed; views should re-list (debounced on the server). */
export namespace WorkloadsChangedNotification {
  export const method = 'berth/workloads/didChange';
  export const type = new NotificationType<WorkloadsChangedParams>(method);
}
