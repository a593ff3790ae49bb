import * as l10n from '@vscode/l10n';
import {
  CancellationToken,
  ResponseError,
  WorkDoneProgress,
  type Connection,
  type NotificationType,
  type ProgressToken,
  type RequestType,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageserver/node';
import { ErrorCodes, type BerthErrorData } from '../../protocol/src';
import { cutLongRuns, echo } from './echo';
import { BerthError, InvalidParamsError, errorMessage } from './errors';
import type { Log } from './log';
import { fsError } from './state/fsErrors';
import type { OperationContext, ProgressSink } from './operation';

export type Handler<R> = (params: unknown, ctx: OperationContext) => Promise<R> | R;

export interface RequestOptions {
  /**
   * The params' named fields. When given, params must be absent, null or an object holding only
   * these fields; anything else is InvalidParams naming the field. `[]` means "takes no params".
   */
  readonly fields?: readonly string[];
  /** The title of the work-done progress the client shows when it sent a workDoneToken. */
  readonly title?: string;
  /** Told when the request failed because the engine could not be reached. */
  readonly onEngineUnreachable?: () => void;
  /** The state directory, so a file-system error inside it says how to choose another. */
  readonly stateDir?: () => string;
}

/**
 * Registers a request handler that: validates the params' outer shape, turns the cancellation
 * token into an AbortSignal, turns work-done progress into a ProgressSink, and answers every
 * failure with a typed ResponseError so that the backend never crashes on bad input.
 *
 * Registered by method name with a rest-argument handler because vscode-jsonrpc spreads
 * positional params into the handler's arguments: `params: [1, 2]` would otherwise arrive as
 * `(1, 2)` with the cancellation token lost, and `params: []` as `(token)`.
 */
export function onRequest<P, R>(
  connection: Connection,
  log: Log,
  type: RequestType<P, R, void>,
  handler: Handler<R>,
  options: RequestOptions = {},
): void {
  const method = type.method;
  connection.onRequest(method, async (...args: unknown[]) => {
    const last = args[args.length - 1];
    const token = CancellationToken.is(last) ? (args.pop() as CancellationToken) : CancellationToken.None;
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    let progress: WorkDoneReporter | undefined;
    try {
      if (args.length > 1) {
        throw new InvalidParamsError(l10n.t('{0} takes one object of named params, not {1} positional params.', method, args.length));
      }
      const { params, workDoneToken } = splitWorkDoneToken(args[0], method);
      if (options.fields) checkFields(params, options.fields, method);
      if (workDoneToken !== undefined) progress = new WorkDoneReporter(connection, workDoneToken, options.title ?? method);
      const ctx: OperationContext = { signal: controller.signal, progress: progress ?? silent };
      return await handler(params, ctx);
    } catch (error) {
      const response = toResponseError(error, method, log, options.stateDir?.());
      if (response.code === ErrorCodes.EngineUnreachable) options.onEngineUnreachable?.();
      throw response;
    } finally {
      subscription.dispose();
      progress?.done();
    }
  });
}

const silent: ProgressSink = { report: () => undefined };

/**
 * LSP puts the client's progress token inside the params; the handler must not see it, and a
 * token of the wrong type is the caller's mistake, not a reason to drop the progress silently.
 */
function splitWorkDoneToken(raw: unknown, method: string): { params: unknown; workDoneToken: ProgressToken | undefined } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.hasOwn(raw, 'workDoneToken')) {
    return { params: raw, workDoneToken: undefined };
  }
  const { workDoneToken, ...params } = raw as Record<string, unknown>;
  if (workDoneToken === undefined) return { params, workDoneToken: undefined };
  const valid = (typeof workDoneToken === 'string' && workDoneToken.length > 0 && workDoneToken.length <= 256) || Number.isSafeInteger(workDoneToken);
  if (!valid) {
    throw new InvalidParamsError(l10n.t('"workDoneToken" of {0} must be a non-empty string of at most 256 characters or a whole number.', method));
  }
  return { params, workDoneToken: workDoneToken as ProgressToken };
}

function checkFields(params: unknown, fields: readonly string[], method: string): void {
  if (params === undefined || params === null) return;
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new InvalidParamsError(
      fields.length === 0
        ? l10n.t('{0} takes no params.', method)
        : l10n.t('{0} takes an object of named params ({1}).', method, fields.join(', ')),
    );
  }
  for (const key of Object.keys(params)) {
    if (!fields.includes(key)) {
      const shown = echo(key);
      throw new InvalidParamsError(
        fields.length === 0
          ? l10n.t('{0} takes no params, but got "{1}".', method, shown)
          : l10n.t('{0} does not take "{1}"; it takes: {2}.', method, shown, fields.join(', ')),
      );
    }
  }
}

/**
 * Work-done progress for a client-created token: `begin` as soon as the request starts (so even
 * a quick request shows and ends its progress), `report` per step, `end` exactly once.
 */
class WorkDoneReporter implements ProgressSink {
  private ended = false;

  constructor(
    private readonly connection: Connection,
    private readonly token: ProgressToken,
    title: string,
  ) {
    // Cancelling goes through $/cancelRequest of the request that carries the token, which the
    // client's own cancel button sends; the progress itself offers no second way.
    this.send({ kind: 'begin', title, cancellable: false });
  }

  report(message: string, percentage?: number): void {
    if (this.ended) return;
    const pct = percentage === undefined || !Number.isFinite(percentage) ? undefined : Math.max(0, Math.min(100, Math.round(percentage)));
    this.send({ kind: 'report', message, ...(pct === undefined ? {} : { percentage: pct }) });
  }

  done(): void {
    if (this.ended) return;
    this.ended = true;
    this.send({ kind: 'end' });
  }

  private send(value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void {
    try {
      this.connection.sendProgress(WorkDoneProgress.type, this.token, value).catch(() => undefined);
    } catch {
      // The client has gone; the request's own answer cannot reach it either.
    }
  }
}

/**
 * Sends a notification without letting a closed transport turn into an unhandled rejection
 * (the process forwards those to the client, which would loop).
 */
export function notify<P>(connection: Connection, type: NotificationType<P>, params: P): void {
  try {
    connection.sendNotification(type, params).catch(() => undefined);
  } catch {
    // The connection is closed or disposed: nobody is listening.
  }
}

/**
 * Every failure as a typed ResponseError. An OS error about a file (a state folder that is a
 * file, a read-only or full disk) becomes the same typed error the CLI prints (`fsError`);
 * overlong runs in any message are cut (`cutLongRuns`).
 */
export function toResponseError(error: unknown, method: string, log: Log, stateDir?: string): ResponseError<BerthErrorData> {
  const typed = error instanceof BerthError ? error : fsError(error, stateDir);
  if (typed) {
    log.info(`${method} answered ${typed.codeName}: ${typed.message}`);
    return new ResponseError(typed.code, cutLongRuns(typed.message), typed.toData());
  }
  log.error(`${method} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new ResponseError(
    ErrorCodes.InternalError,
    cutLongRuns(l10n.t("Berth's backend failed unexpectedly in {0}: {1}. The log has the details.", method, errorMessage(error))),
    { name: 'InternalError' },
  );
}
