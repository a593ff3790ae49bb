import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { WorkDoneProgress } from 'vscode-languageclient/node';
import type { Ctx } from '../ctx';

/**
 * Runs a backend request under a cancellable notification: the backend's work-done progress
 * (`$/progress` for a token we make up) becomes the notification's message, and Cancel cancels
 * the request across the process boundary.
 */
export function withRequestProgress<R>(ctx: Ctx, title: string, run: (workDoneToken: string, token: vscode.CancellationToken) => Promise<R>): Thenable<R> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const workDoneToken = `berth-${randomUUID()}`;
    const subscription = ctx.languageClient()?.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind !== 'end' && value.message) progress.report({ message: value.message });
    });
    try {
      return await run(workDoneToken, token);
    } finally {
      subscription?.dispose();
    }
  });
}
