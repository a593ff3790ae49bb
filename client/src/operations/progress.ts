import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { WithProgress } from '../../../protocol/src';

/** Receives the backend's work-done progress of one operation, already in one shape. */
export interface ProgressSink {
  /** `message` is the backend's text for the step; `percentage` is absolute (0–100) when known. */
  report(message: string, percentage: number | undefined): void;
}

/** A display of its own for an operation's progress (the restore's status-bar item). */
export interface ProgressDisplay extends ProgressSink, vscode.Disposable {}

/** Where progress shows: a notification with the title (and Cancel), the status bar's spinner, or nowhere. */
export type ProgressPlacement = 'notification' | 'window' | 'none';

/**
 * A fresh work-done token. The client makes it up (LSP's client-initiated progress), so it can
 * follow `$/progress` for it before the request is even sent.
 */
export function newWorkDoneToken(): string {
  return `berth-${randomUUID()}`;
}

/**
 * The request's params with the token, as the protocol's `WithProgress` mixin (LSP's
 * `WorkDoneProgressParams`) has it. The backend takes a token on every request; only object
 * params can carry one, so a request without params has no progress to follow.
 */
export function withWorkDoneToken<P>(params: P, workDoneToken: string): P {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return params;
  const progress: WithProgress = { workDoneToken };
  return { ...params, ...progress };
}

/**
 * Runs `body` while its progress shows at `placement`. A notification gets the title and, when
 * `cancellable`, a Cancel button that calls `cancel`.
 */
export async function showProgress<R>(
  placement: ProgressPlacement,
  options: { readonly title: string; readonly cancellable: boolean; readonly cancel: () => void },
  body: (sink: ProgressSink) => Promise<R>,
): Promise<R> {
  if (placement === 'none') return body({ report: () => undefined });
  const location = placement === 'window' ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
  return vscode.window.withProgress({ location, title: options.title, cancellable: options.cancellable }, async (progress, token) => {
    const subscription = token.onCancellationRequested(options.cancel);
    try {
      return await body(percentageSink(progress));
    } finally {
      subscription.dispose();
    }
  });
}

/**
 * VS Code's progress takes increments that add up to 100; the backend reports absolute
 * percentages. The one conversion: report the rise since the last report, never a fall.
 */
function percentageSink(progress: vscode.Progress<{ message?: string; increment?: number }>): ProgressSink {
  let shown = 0;
  return {
    report(message, percentage) {
      const increment = percentage !== undefined && percentage > shown ? percentage - shown : undefined;
      if (increment !== undefined) shown = percentage as number;
      progress.report({ ...(message ? { message } : {}), ...(increment !== undefined ? { increment } : {}) });
    },
  };
}
