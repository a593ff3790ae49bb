import * as vscode from 'vscode';
import { RestartWorkloadRequest, StartWorkloadRequest, StopWorkloadRequest, type Workload, type WorkloadRef, type LifecycleResult } from '../../../../protocol/src';
import type { RequestType } from 'vscode-jsonrpc';
import type { Ctx } from '../../ctx';
import { showOperationError } from '../showOperationError';
import { workloadArgument } from './pickWorkload';

type Lifecycle = RequestType<WorkloadRef, LifecycleResult, void>;

function lifecycleCommand(type: Lifecycle, title: (name: string) => string, filter: (w: Workload) => boolean) {
  return (ctx: Ctx) =>
    async (arg?: unknown): Promise<Workload | undefined> => {
      const workload = await workloadArgument(ctx, arg, filter);
      if (!workload) return undefined;
      try {
        return await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: title(workload.name), cancellable: true },
          async (_progress, token) => (await ctx.request(type, { workload: workload.id }, token)).workload,
        );
      } catch (error) {
        showOperationError(ctx, error);
        return undefined;
      }
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
