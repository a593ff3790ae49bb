import {
  ResponseError,
  type CancellationToken,
  type Connection,
  type RequestType,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver/node';
import { ErrorCodes, type BerthErrorData } from '../../protocol/src';
import { BerthError, errorMessage } from './errors';
import type { Log } from './log';
import type { OperationContext } from './operation';

export type Handler<R> = (params: unknown, ctx: OperationContext) => Promise<R> | R;

/**
 * Registers a request handler that: turns the cancellation token into an AbortSignal, turns
 * work-done progress into a ProgressSink, and answers every failure with a typed ResponseError
 * so that the backend never crashes on bad input.
 */
export function onRequest<P, R>(
  connection: Connection,
  log: Log,
  type: RequestType<P, R, void>,
  handler: Handler<R>,
): void {
  connection.onRequest(type, async (params: P, token: CancellationToken, attached?: WorkDoneProgressReporter) => {
    // vscode-languageserver attaches a reporter only for its built-in requests; Berth's own
    // requests carry `workDoneToken` in their params, so attach one from there.
    const workDone = attached ?? workDoneFromParams(connection, params);
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    let begun = false;
    const ctx: OperationContext = {
      signal: controller.signal,
      progress: {
        report: (message, percentage) => {
          if (!workDone) return;
          if (!begun) {
            begun = true;
            workDone.begin(message, percentage, message, true);
          } else {
            workDone.report(percentage ?? 0, message);
          }
        },
      },
    };
    try {
      return await handler(params as unknown, ctx);
    } catch (error) {
      throw toResponseError(error, type.method, log);
    } finally {
      subscription.dispose();
      if (begun) workDone?.done();
    }
  });
}

export function toResponseError(error: unknown, method: string, log: Log): ResponseError<BerthErrorData> {
  if (error instanceof BerthError) {
    log.info(`${method} answered ${error.codeName}: ${error.message}`);
    return new ResponseError(error.code, error.message, error.toData());
  }
  log.error(`${method} failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return new ResponseError(ErrorCodes.InternalError, `Berth's backend failed unexpectedly in ${method}: ${errorMessage(error)}. The log has the details.`, {
    name: 'InternalError',
  });
}

function workDoneFromParams(connection: Connection, params: unknown): WorkDoneProgressReporter | undefined {
  const token = typeof params === 'object' && params !== null ? (params as { workDoneToken?: unknown }).workDoneToken : undefined;
  if (typeof token !== 'string' && typeof token !== 'number') return undefined;
  return connection.window.attachWorkDoneProgress(token);
}
