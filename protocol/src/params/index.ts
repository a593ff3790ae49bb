// The params schemas of every request, for the backend and the CLI (the client imports only
// their types, through protocol/src; lint keeps zod out of dist/extension.js). Each schema is
// the one declaration of its request's params: the TypeScript type (`SentParams`), the validator
// (the backend parses every request's params with it) and the field list (`fieldsOf`) come from it.
import { EngineStatusRequest } from '../engine';
import {
  InstallPluginRequest,
  ListPluginsRequest,
  RemovePluginRequest,
  RollbackPluginRequest,
  SweepPluginsRequest,
} from '../plugins';
import { RestorePreviewRequest, RestoreSnapshotRequest, RunRecoveryRequest, StartupRecoveryRequest } from '../restore';
import { ListSchedulesRequest } from '../schedules';
import { ServerInfoRequest } from '../server';
import {
  AdoptSnapshotRequest,
  CreateProjectSnapshotRequest,
  CreateSnapshotRequest,
  DeleteSnapshotRequest,
  ExportSnapshotRequest,
  ImportSnapshotRequest,
  ListSnapshotsRequest,
  PinSnapshotRequest,
  PruneSnapshotsRequest,
  VerifySnapshotRequest,
} from '../snapshots';
import {
  ListWorkloadsRequest,
  RestartWorkloadRequest,
  StartWorkloadRequest,
  StopWorkloadRequest,
  VolumeUsageRequest,
  WorkloadLogsRequest,
} from '../workloads';
import {
  WorkspaceApplyRequest,
  WorkspaceExportRequest,
  WorkspaceFileContentRequest,
  WorkspaceImportRequest,
  WorkspaceSavePatchRequest,
} from '../workspace';
import { NoParams, type ParamsSchema } from './common';
import { InstallPluginParams, ListPluginsParams, PluginRefParams, SweepPluginsParams } from './plugins';
import { RestorePreviewParams, RestoreSnapshotParams } from './restore';
import {
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
} from './snapshots';
import { LifecycleParams, ListWorkloadsParams, WorkloadLogsParams } from './workloads';
import {
  WorkspaceApplyParams,
  WorkspaceExportParams,
  WorkspaceFileContentParams,
  WorkspaceImportParams,
  WorkspaceSavePatchParams,
} from './workspace';

export * from './common';
export * from './fields';
export * from './plugins';
export * from './progress';
export * from './restore';
export * from './snapshots';
export * from './workloads';
export * from './workspace';

/**
 * Each request's params schema, by method. The backend registers a handler by the request's
 * namespace and parses its params with the schema found here, so a request missing from this
 * table cannot be registered (it does not compile), and test/unit/params.test.ts fails for any
 * request of the protocol that has no entry.
 */
export const requestParams = {
  [ServerInfoRequest.method]: NoParams,
  [EngineStatusRequest.method]: NoParams,
  [ListWorkloadsRequest.method]: ListWorkloadsParams,
  [StartWorkloadRequest.method]: LifecycleParams,
  [StopWorkloadRequest.method]: LifecycleParams,
  [RestartWorkloadRequest.method]: LifecycleParams,
  [WorkloadLogsRequest.method]: WorkloadLogsParams,
  [VolumeUsageRequest.method]: NoParams,
  [ListPluginsRequest.method]: ListPluginsParams,
  [InstallPluginRequest.method]: InstallPluginParams,
  [RollbackPluginRequest.method]: PluginRefParams,
  [RemovePluginRequest.method]: PluginRefParams,
  [SweepPluginsRequest.method]: SweepPluginsParams,
  [ListSnapshotsRequest.method]: ListSnapshotsParams,
  [CreateSnapshotRequest.method]: CreateSnapshotParams,
  [CreateProjectSnapshotRequest.method]: CreateProjectSnapshotParams,
  [VerifySnapshotRequest.method]: VerifySnapshotParams,
  [DeleteSnapshotRequest.method]: SnapshotRef,
  [PinSnapshotRequest.method]: PinSnapshotParams,
  [ExportSnapshotRequest.method]: ExportSnapshotParams,
  [ImportSnapshotRequest.method]: ImportSnapshotParams,
  [PruneSnapshotsRequest.method]: PruneSnapshotsParams,
  [AdoptSnapshotRequest.method]: AdoptSnapshotParams,
  [RestorePreviewRequest.method]: RestorePreviewParams,
  [RestoreSnapshotRequest.method]: RestoreSnapshotParams,
  [ListSchedulesRequest.method]: NoParams,
  [RunRecoveryRequest.method]: NoParams,
  [StartupRecoveryRequest.method]: NoParams,
  [WorkspaceExportRequest.method]: WorkspaceExportParams,
  [WorkspaceImportRequest.method]: WorkspaceImportParams,
  [WorkspaceFileContentRequest.method]: WorkspaceFileContentParams,
  [WorkspaceApplyRequest.method]: WorkspaceApplyParams,
  [WorkspaceSavePatchRequest.method]: WorkspaceSavePatchParams,
} as const satisfies Readonly<Record<string, ParamsSchema>>;

export type RequestMethod = keyof typeof requestParams;
/** The params schema of one request. */
export type ParamsSchemaOf<M extends RequestMethod> = (typeof requestParams)[M];
