import type { Connection } from 'vscode-languageserver/node';
import {
  ListWorkloadsRequest,
  RestartWorkloadRequest,
  StartWorkloadRequest,
  StopWorkloadRequest,
  VolumeUsageRequest,
  WorkloadLogsRequest,
  WorkloadsChangedNotification,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { objectParams, optionalBoolean, optionalInteger, requiredString } from '../params';
import { onRequest } from '../rpc';

export function registerWorkloadHandlers(connection: Connection, log: Log, backend: Backend): void {
  onRequest(connection, log, ListWorkloadsRequest.type, async (raw, ctx) => {
    const params = objectParams(raw, ListWorkloadsRequest.method);
    const all = optionalBoolean(params, 'all', ListWorkloadsRequest.method) ?? true;
    return { workloads: await backend.workloads.list(all, ctx.signal) };
  });

  const lifecycle = [
    [StartWorkloadRequest, (ref: string, ctx: Parameters<typeof backend.workloads.start>[1]) => backend.workloads.start(ref, ctx)],
    [StopWorkloadRequest, (ref: string, ctx: Parameters<typeof backend.workloads.stop>[1]) => backend.workloads.stop(ref, ctx)],
    [RestartWorkloadRequest, (ref: string, ctx: Parameters<typeof backend.workloads.restart>[1]) => backend.workloads.restart(ref, ctx)],
  ] as const;
  for (const [request, run] of lifecycle) {
    onRequest(connection, log, request.type, async (raw, ctx) => {
      const params = objectParams(raw, request.method);
      const ref = requiredString(params, 'workload', request.method, 512);
      const workload = await run(ref, ctx);
      void connection.sendNotification(WorkloadsChangedNotification.type, { reason: 'operation' });
      return { workload };
    });
  }

  onRequest(connection, log, WorkloadLogsRequest.type, async (raw, ctx) => {
    const params = objectParams(raw, WorkloadLogsRequest.method);
    const ref = requiredString(params, 'workload', WorkloadLogsRequest.method, 512);
    const tail = optionalInteger(params, 'tail', WorkloadLogsRequest.method, 1, 10_000) ?? 500;
    const timestamps = optionalBoolean(params, 'timestamps', WorkloadLogsRequest.method) ?? false;
    return backend.workloads.logs(ref, tail, timestamps, ctx.signal);
  });

  onRequest(connection, log, VolumeUsageRequest.type, async (_raw, ctx) => ({
    volumes: await backend.workloads.volumeUsage(ctx.signal),
  }));
}
