import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { RequestType } from 'vscode-jsonrpc';
import { WorkDoneProgress } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { showOperationError } from '../showOperationError';

/**
 * Runs a `berth/plugins/*` request under a cancellable notification. The backend's work-done
 * progress (the named step, upload KiB, percentage) is shown as it arrives; Cancel crosses to
 * the backend (an install stops and rolls back when the cancel comes before the swap). Failures
 * show the backend's message, which names the failed step and what was rolled back.
 */
export async function runPluginOperation<P extends { workDoneToken?: string | number }, R>(
  ctx: Ctx,
  type: RequestType<P, R, void>,
  params: Omit<P, 'workDoneToken'>,
  title: string,
): Promise<R | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const workDoneToken = `berth-${randomBytes(8).toString('hex')}`;
      let reported = 0;
      const subscription = ctx.languageClient()?.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
        if (value.kind === 'end') return;
        const percentage = value.percentage;
        const increment = percentage !== undefined && percentage > reported ? percentage - reported : undefined;
        if (percentage !== undefined) reported = Math.max(reported, percentage);
        progress.report({ ...(value.message ? { message: value.message } : {}), ...(increment ? { increment } : {}) });
      });
      try {
        return await ctx.request(type, { ...params, workDoneToken } as P, token);
      } finally {
        subscription?.dispose();
      }
    });
  } catch (error) {
    if (error instanceof vscode.CancellationError || (error as { code?: unknown }).code === ErrorCodes.Cancelled) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} was cancelled. Anything staged was removed; the live plugin is as it was.', title.replace(/…$/, '')));
    } else {
      showOperationError(ctx, error);
    }
    return undefined;
  } finally {
    ctx.views().pluginsRefresh.schedule();
  }
}
