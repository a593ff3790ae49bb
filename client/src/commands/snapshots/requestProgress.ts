import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { RequestType } from 'vscode-jsonrpc';
import { WorkDoneProgress, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { Ctx } from '../../ctx';

/**
 * Sends a long request with a work-done token and shows its progress in a notification with a
 * Cancel button. Cancel sends $/cancelRequest, which aborts the backend's work (the backend
 * then cleans up and answers Cancelled).
 */
export async function requestWithProgress<P extends object, R>(ctx: Ctx, type: RequestType<P, R, void>, params: P, title: string): Promise<R> {
  return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const workDoneToken = `berth-${randomUUID()}`;
    let shown = 0;
    const subscription = ctx.languageClient()?.onProgress(WorkDoneProgress.type, workDoneToken, (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
      if (value.kind !== 'report') return;
      const increment = value.percentage !== undefined && value.percentage > shown ? value.percentage - shown : undefined;
      if (increment !== undefined) shown += increment;
      progress.report({ ...(value.message ? { message: value.message } : {}), ...(increment !== undefined ? { increment } : {}) });
    });
    try {
      return await ctx.request(type, { ...params, workDoneToken } as P, token);
    } finally {
      subscription?.dispose();
    }
  });
}
