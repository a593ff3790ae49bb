import * as vscode from 'vscode';
import type { RequestType } from 'vscode-jsonrpc';
import type { WorkDoneProgressBegin, WorkDoneProgressEnd, WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { Log } from '../log';
import type { NotificationHub } from '../hub';
import type { BusyWorkloads, OperationWorkload } from './busy';
import { isCancellation, showError, summarizeError, type ErrorSummary, type Notice } from './errors';
import { OperationLog } from './operationLog';
import { newWorkDoneToken, showProgress, withWorkDoneToken, type ProgressDisplay, type ProgressPlacement } from './progress';

/** How one operation runs; only `title` is required. */
export interface OperationOptions<R> {
  /** What it does, for people: the notification's title and the log lines ("Installing geo into web…"). */
  readonly title: string;
  /** The workload it acts on, named in the log lines. */
  readonly workload?: OperationWorkload;
  /**
   * While it runs, `workload` shows busy in every view, labelled by this (`restore`, `capture`;
   * views/workloads/busyLabel.ts words it).
   */
  readonly busy?: string;
  /** Whether the user may cancel it (default true). Cancel sends `$/cancelRequest`; the backend stops, undoes and answers Cancelled. */
  readonly cancellable?: boolean;
  /** Where progress shows (default a notification), or a display of its own made when it starts. */
  readonly progress?: ProgressPlacement | ((operation: RunningOperation) => ProgressDisplay);
  /**
   * What to tell the user after a cancel, given the backend's message (which says what was
   * undone). Without it a cancel is silent: the user asked for it.
   */
  readonly cancelled?: (backendMessage: string) => string;
  /** What the end log line adds on success: what the operation made (the snapshot, the stamp). */
  readonly made?: (result: R) => string | undefined;
}

/** An operation while it runs. */
export interface RunningOperation {
  /** Numbers the operation's log lines, so the start and the end of one can be found. */
  readonly id: number;
  /** The request's method (`berth/snapshots/create`). */
  readonly method: string;
  readonly title: string;
  readonly workload: OperationWorkload | undefined;
  readonly cancellable: boolean;
  /** The backend's last progress message ('' before the first). */
  readonly message: string;
  /** The backend's last percentage, when it gave one. */
  readonly percentage: number | undefined;
  /** Asks the backend to stop, as the Cancel button does. Does nothing when not cancellable. */
  cancel(): void;
}

export interface OperationEnd {
  readonly operation: RunningOperation;
  readonly outcome: 'succeeded' | 'failed' | 'cancelled';
  readonly durationMs: number;
  /** The failure or the backend's answer to the cancel. */
  readonly error?: ErrorSummary;
  /** The notification the runner showed about the failure or the cancel, if any. */
  readonly notice?: Notice;
}

/** What the runner needs from its owner (Ctx). */
export interface OperationHost {
  readonly log: Log;
  readonly busy: BusyWorkloads;
  readonly hub: NotificationHub;
  request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R>;
  /** Follows the backend's `$/progress` for a work-done token; undefined while there is no backend. */
  onWorkDoneProgress(token: string, handler: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void): vscode.Disposable | undefined;
}

/** Params as callers write them: the runner adds the work-done token. */
export type OperationParams<P> = P extends object ? Omit<P, 'workDoneToken'> : P;

/**
 * The one way the client runs a backend operation (as vscode-containers wraps every command in
 * one error handler). It owns, for every operation alike: the work-done token and the progress
 * display, cancellation across the process boundary, the busy mark of the workload's rows, the
 * error notification with the typed error's message and actions, and one log line at the start
 * and one at the end (who, what, which workload, the result, what it made).
 *
 * It resolves to the result, or to undefined when the operation failed or was cancelled (the
 * user has been told); callers announce success in their own words.
 */
export class OperationRunner implements vscode.Disposable {
  private readonly running = new Set<Operation>();
  private nextId = 1;
  private readonly started = new vscode.EventEmitter<RunningOperation>();
  private readonly ended = new vscode.EventEmitter<OperationEnd>();
  readonly onDidStart = this.started.event;
  readonly onDidEnd = this.ended.event;

  constructor(private readonly host: OperationHost) {}

  /** The operations running now, oldest first. */
  list(): readonly RunningOperation[] {
    return [...this.running];
  }

  async run<P, R>(type: RequestType<P, R, void>, params: OperationParams<P>, options: OperationOptions<R>): Promise<R | undefined> {
    const operation = new Operation(this.nextId++, type.method, options);
    const log = new OperationLog(this.host.log, operation);
    log.started();
    this.running.add(operation);
    this.started.fire(operation);
    const busyMark = options.busy && options.workload ? this.host.busy.mark(options.workload.key, options.busy) : undefined;
    let end: Omit<OperationEnd, 'operation' | 'durationMs'> = { outcome: 'failed' };
    try {
      const result = await this.send(operation, type, params as P, options, busyMark !== undefined);
      end = { outcome: 'succeeded' };
      log.succeeded(options.made?.(result));
      return result;
    } catch (caught) {
      end = this.failed(operation, caught, options, log);
      return undefined;
    } finally {
      operation.dispose();
      this.running.delete(operation);
      // Releasing the busy mark refreshes every view. Other operations' changes reach the views
      // through the backend's notifications (plugins, snapshots) and the engine's events.
      busyMark?.dispose();
      this.ended.fire({ operation, durationMs: operation.elapsedMs(), ...end });
    }
  }

  /** Sends the request with a fresh work-done token and shows its progress until it answers. */
  private async send<P, R>(operation: Operation, type: RequestType<P, R, void>, params: P, options: OperationOptions<R>, busy: boolean): Promise<R> {
    const display = typeof options.progress === 'function' ? options.progress(operation) : undefined;
    const placement = display ? 'none' : typeof options.progress === 'string' ? options.progress : 'notification';
    try {
      return await showProgress(placement, { title: operation.title, cancellable: operation.cancellable, cancel: () => operation.cancel() }, async (sink) => {
        const workDoneToken = newWorkDoneToken();
        let reported = false;
        const subscription = this.host.onWorkDoneProgress(workDoneToken, (value) => {
          if (value.kind === 'end' || (value.message === undefined && value.percentage === undefined)) return;
          operation.progressed(value.message, value.percentage);
          (display ?? sink).report(operation.message, value.percentage);
          // A busy operation's first report comes once the backend holds the workload's lock: the
          // Plugins view, which shows lock holders, now has something to show.
          if (!reported && busy) this.host.hub.refresh(['plugins'], 'busy');
          reported = true;
        });
        try {
          return await this.host.request(type, withWorkDoneToken(params, workDoneToken), operation.token);
        } finally {
          subscription?.dispose();
        }
      });
    } finally {
      display?.dispose();
    }
  }

  /** Tells the user about a failure (or, when asked to, about a cancel) and logs it. */
  private failed<R>(operation: Operation, caught: unknown, options: OperationOptions<R>, log: OperationLog): Omit<OperationEnd, 'operation' | 'durationMs'> {
    const error = summarizeError(caught);
    if (!isCancellation(caught)) {
      log.failed(error);
      return { outcome: 'failed', error, notice: showError(this.host.log, error) };
    }
    log.cancelled(error);
    if (!options.cancelled) return { outcome: 'cancelled', error };
    const notice: Notice = { message: options.cancelled(caught instanceof vscode.CancellationError ? '' : error.message), actions: [] };
    void vscode.window.showInformationMessage(notice.message);
    return { outcome: 'cancelled', error, notice };
  }

  dispose(): void {
    for (const operation of this.running) operation.cancel();
    this.started.dispose();
    this.ended.dispose();
  }
}

/** One run of `OperationRunner.run`: what callers and the progress display see of it, and its cancel. */
class Operation implements RunningOperation, vscode.Disposable {
  readonly title: string;
  readonly workload: OperationWorkload | undefined;
  readonly cancellable: boolean;
  message = '';
  percentage: number | undefined;
  private readonly source = new vscode.CancellationTokenSource();
  private readonly startedAt = performance.now();

  constructor(
    readonly id: number,
    readonly method: string,
    options: Pick<OperationOptions<never>, 'title' | 'workload' | 'cancellable'>,
  ) {
    this.title = options.title;
    this.workload = options.workload;
    this.cancellable = options.cancellable ?? true;
  }

  get token(): vscode.CancellationToken {
    return this.source.token;
  }

  progressed(message: string | undefined, percentage: number | undefined): void {
    if (message !== undefined) this.message = message;
    if (percentage !== undefined) this.percentage = percentage;
  }

  cancel(): void {
    if (this.cancellable) this.source.cancel();
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  dispose(): void {
    this.source.dispose();
  }
}
