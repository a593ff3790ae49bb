import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  ListWorkloadsRequest,
  RestartWorkloadRequest,
  StartWorkloadRequest,
  StopWorkloadRequest,
  VolumeUsageRequest,
  WorkloadLogsRequest,
  WorkloadsChangedNotification,
  type Workload,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface WorkloadHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

export function registerWorkloadHandlers(connection: Connection, log: Log, backend: Backend, hooks: WorkloadHandlerHooks = {}): void {
  const options = (title: string): RequestOptions => ({ title, ...hooks });

  onRequest(
    connection,
    log,
    ListWorkloadsRequest,
    async ({ all }, ctx) => ({ workloads: await backend.workloads.list(all, ctx.signal) }),
    options(l10n.t('Listing workloads')),
  );

  const lifecycle: readonly [typeof StartWorkloadRequest | typeof StopWorkloadRequest | typeof RestartWorkloadRequest, string, (ref: string, ctx: OperationContext) => Promise<Workload>][] = [
    [StartWorkloadRequest, l10n.t('Starting a workload'), (ref, ctx) => backend.workloads.start(ref, ctx)],
    [StopWorkloadRequest, l10n.t('Stopping a workload'), (ref, ctx) => backend.workloads.stop(ref, ctx)],
    [RestartWorkloadRequest, l10n.t('Restarting a workload'), (ref, ctx) => backend.workloads.restart(ref, ctx)],
  ];
  for (const [request, title, run] of lifecycle) {
    onRequest(
      connection,
      log,
      request,
      async (params, ctx) => {
        const workload = await run(params.workload, ctx);
        notify(connection, WorkloadsChangedNotification.type, { reason: 'operation' });
        return { workload };
      },
      options(title),
    );
  }

  onRequest(
    connection,
    log,
    WorkloadLogsRequest,
    async ({ workload, tail, timestamps }, ctx) => backend.workloads.logs(workload, tail, timestamps, ctx.signal),
    options(l10n.t('Reading workload logs')),
  );

  onRequest(
    connection,
    log,
    VolumeUsageRequest,
    async (_params, ctx) => ({ volumes: await backend.workloads.volumeUsage(ctx.signal) }),
    options(l10n.t('Reading volume usage')),
  );
}
