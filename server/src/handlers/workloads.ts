import * as l10n from '@vscode/l10n';
import type { Connection, RequestType } from 'vscode-languageserver/node';
import {
  ListWorkloadsRequest,
  RestartWorkloadRequest,
  StartWorkloadRequest,
  StopWorkloadRequest,
  VolumeUsageRequest,
  WorkloadLogsRequest,
  WorkloadsChangedNotification,
  type LifecycleResult,
  type Workload,
  type WorkloadRef,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import { objectParams, optionalBoolean, optionalInteger, requiredString } from '../params';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface WorkloadHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

export function registerWorkloadHandlers(connection: Connection, log: Log, backend: Backend, hooks: WorkloadHandlerHooks = {}): void {
  const options = (fields: readonly string[], title: string): RequestOptions => ({ fields, title, ...hooks });

  onRequest(
    connection,
    log,
    ListWorkloadsRequest.type,
    async (raw, ctx) => {
      const params = objectParams(raw, ListWorkloadsRequest.method);
      const all = optionalBoolean(params, 'all', ListWorkloadsRequest.method) ?? true;
      return { workloads: await backend.workloads.list(all, ctx.signal) };
    },
    options(['all'], l10n.t('Listing workloads')),
  );

  const lifecycle: readonly [{ readonly method: string; readonly type: RequestType<WorkloadRef, LifecycleResult, void> }, string, (ref: string, ctx: OperationContext) => Promise<Workload>][] = [
    [StartWorkloadRequest, l10n.t('Starting a workload'), (ref, ctx) => backend.workloads.start(ref, ctx)],
    [StopWorkloadRequest, l10n.t('Stopping a workload'), (ref, ctx) => backend.workloads.stop(ref, ctx)],
    [RestartWorkloadRequest, l10n.t('Restarting a workload'), (ref, ctx) => backend.workloads.restart(ref, ctx)],
  ];
  for (const [request, title, run] of lifecycle) {
    onRequest(
      connection,
      log,
      request.type,
      async (raw, ctx) => {
        const params = objectParams(raw, request.method);
        const ref = requiredString(params, 'workload', request.method, 512);
        const workload = await run(ref, ctx);
        notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
        return { workload };
      },
      options(['workload'], title),
    );
  }

  onRequest(
    connection,
    log,
    WorkloadLogsRequest.type,
    async (raw, ctx) => {
      const params = objectParams(raw, WorkloadLogsRequest.method);
      const ref = requiredString(params, 'workload', WorkloadLogsRequest.method, 512);
      const tail = optionalInteger(params, 'tail', WorkloadLogsRequest.method, 1, 10_000) ?? 500;
      const timestamps = optionalBoolean(params, 'timestamps', WorkloadLogsRequest.method) ?? false;
      return backend.workloads.logs(ref, tail, timestamps, ctx.signal);
    },
    options(['workload', 'tail', 'timestamps'], l10n.t('Reading workload logs')),
  );

  onRequest(
    connection,
    log,
    VolumeUsageRequest.type,
    async (_raw, ctx) => ({ volumes: await backend.workloads.volumeUsage(ctx.signal) }),
    options([], l10n.t('Reading volume usage')),
  );
}
