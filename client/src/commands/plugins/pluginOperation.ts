import * as vscode from 'vscode';
import type { Workload } from '../../../../protocol/src';
import type { OperationOptions } from '../../operations/runner';
import { operationWorkload } from '../workloads/pickWorkload';

/**
 * How every plugin operation runs: a cancellable notification with the backend's steps (the
 * step, upload KiB, percentage), and after a cancel the assurance that the live plugin is
 * untouched (an install stops and rolls back when the cancel comes before the swap). Failures
 * show the backend's message, which names the failed step and what was rolled back.
 */
export function pluginOperation<R>(workload: Workload, title: string, made?: (result: R) => string | undefined): OperationOptions<R> {
  return {
    title,
    workload: operationWorkload(workload),
    cancelled: () => vscode.l10n.t('{0} was cancelled. Anything staged was removed; the live plugin is as it was.', title.replace(/…$/, '')),
    ...(made ? { made } : {}),
  };
}
