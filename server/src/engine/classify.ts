import * as l10n from '@vscode/l10n';
import { echo } from '../echo';
import {
  BerthError,
  CancelledError,
  ConflictError,
  EngineUnreachableError,
  NotFoundError,
  OperationFailedError,
} from '../errors';

/** Socket-level codes that mean "no engine there", as opposed to "the engine said no". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EPERM',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'ENOTSOCK',
]);

interface EngineErrorShape {
  statusCode?: unknown;
  code?: unknown;
  json?: unknown;
  reason?: unknown;
  message?: unknown;
  name?: unknown;
}

/** The engine's own explanation, from its JSON body when it sent one. */
export function engineDetail(error: unknown): string {
  const e = (error ?? {}) as EngineErrorShape;
  const json = e.json as { message?: unknown } | undefined;
  if (json && typeof json.message === 'string') return json.message;
  if (typeof e.reason === 'string' && e.reason) return e.reason;
  if (typeof e.message === 'string') return e.message.replace(/^\(HTTP code \d+\) [^-]*- /, '');
  return String(error);
}

/**
 * Folds a dockerode/docker-modem failure into a named error, by HTTP status code or socket
 * error code (never by message text).
 */
export function classifyEngineError(error: unknown, what: string, endpoint: string): BerthError {
  if (error instanceof BerthError) return error;
  const e = (error ?? {}) as EngineErrorShape;
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return new CancelledError();
  const detail = engineDetail(error);
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined) {
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) {
      return new EngineUnreachableError(l10n.t('Cannot reach the Docker engine at {0}: {1}', echo(endpoint), detail), { detail: e.code }, { cause: error });
    }
    return new OperationFailedError(l10n.t('{0} failed: {1}', what, detail), typeof e.code === 'string' ? { detail: e.code } : {}, { cause: error });
  }
  const extra = { detail: `HTTP ${status}` };
  if (status === 404) return new NotFoundError(`${what}: ${detail}`, extra, { cause: error });
  if (status === 409) return new ConflictError(`${what}: ${detail}`, extra, { cause: error });
  return new OperationFailedError(l10n.t('{0} failed (the engine said: {1})', what, detail), extra, { cause: error });
}
