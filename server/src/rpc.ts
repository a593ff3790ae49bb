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
import { requestParams, type ParamsSchemaOf, type ParsedParams, type RequestMethod, type SentParams } from '../../protocol/src/params';
import { cutLongRuns } from './echo';
import { BerthError, InvalidParamsError, errorMessage } from './errors';
import type { Log } from './log';
import { paramsParser } from './params';
import { fsError } from './state/fsErrors';
import type { OperationContext, ProgressSink } from './operation';

/** A request's namespace from protocol/src: its method names its params schema (`requestParams`). */
export interface BerthRequest<M extends RequestMethod, R> {
  readonly method: M;
  readonly type: RequestType<SentParams<ParamsSchemaOf<M>>, R, void>;
}

/** A handler gets its request's params parsed by the request's schema, and the operation's context. */
export type Handler<M extends RequestMethod, R> = (params: ParsedParams<ParamsSchemaOf<M>>, ctx: OperationContext) => Promise<R> | R;

export interface RequestOptions {
  /** The title of the work-done progress the client shows when it sent a workDoneToken. */
  readonly title?: string;
  /** Told when the request failed because the engine could not be reached. */
  readonly onEngineUnreachable?: () => void;
  /** The state directory, so a file-system error inside it says how to choose another. */
  readonly stateDir?: () => string;
}

/**
 * Registers a request handler that: parses the params with the request's schema (failures are
 * InvalidParams naming the field), turns the cancellation token into an AbortSignal, turns
 * work-done progress into a ProgressSink, and answers every failure with a typed ResponseError
 * so that the backend never crashes on bad input.
 *
 * Registered by method name with a rest-argument handler because vscode-jsonrpc spreads
 * positional params into the handler's arguments: `params: [1, 2]` would otherwise arrive as
 * `(1, 2)` with the cancellation token lost, and `params: []` as `(token)`.
 */
export function onRequest<M extends RequestMethod, R>(
  connection: Connection,
  log: Log,
  request: BerthRequest<M, R>,
  handler: Handler<M, R>,
  options: RequestOptions = {},
): void {
  const method = request.method;
  const parse = paramsParser(requestParams[method], method);
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
      const { params, workDoneToken } = parse(args[0]);
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
