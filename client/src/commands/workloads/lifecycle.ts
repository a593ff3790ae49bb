import * as vscode from 'vscode';
import type { RequestType } from 'vscode-jsonrpc';
import { RestartWorkloadRequest, StartWorkloadRequest, StopWorkloadRequest, type LifecycleResult, type Workload, type WorkloadRef } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { operationWorkload, workloadArgument } from './pickWorkload';

type Lifecycle = RequestType<WorkloadRef, LifecycleResult, void>;

function lifecycleCommand(type: Lifecycle, title: (name: string) => string, filter: (w: Workload) => boolean) {
  return (ctx: Ctx) =>
    async (arg?: unknown): Promise<Workload | undefined> => {
      const workload = await workloadArgument(ctx, arg, filter);
      if (!workload) return undefined;
      const result = await ctx.runOperation(type, { workload: workload.id }, { title: title(workload.name), workload: operationWorkload(workload) });
      return result?.workload;
    };
}

export const startWorkload = lifecycleCommand(
  StartWorkloadRequest.type,
  (name) => vscode.l10n.t('Starting {0}…', name),
  (w) => w.state !== 'running',
);
export const stopWorkload = lifecycleCommand(
  StopWorkloadRequest.type,
  (name) => vscode.l10n.t('Stopping {0}…', name),
  (w) => w.state === 'running' || w.state === 'paused' || w.state === 'restarting',
);
export const restartWorkload = lifecycleCommand(
  RestartWorkloadRequest.type,
  (name) => vscode.l10n.t('Restarting {0}…', name),
  () => true,
);
