import * as l10n from '@vscode/l10n';
import { ErrorCodes, type BerthErrorData, type ErrorCode, type ErrorCodeName } from '../../protocol/src';

/**
 * The backend's named errors. Each carries a stable protocol code, so the RPC layer and the CLI
 * classify by `code`, never by message text. Messages are written for the user: they say what
 * happened and what to do.
 */
export class BerthError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Omit<BerthErrorData, 'name'> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  get codeName(): ErrorCodeName {
    const entry = (Object.entries(ErrorCodes) as [ErrorCodeName, number][]).find(([, value]) => value === this.code);
    return entry ? entry[0] : 'OperationFailed';
  }

  toData(): BerthErrorData {
    return { name: this.codeName, ...this.extra };
  }
}

type Extra = Omit<BerthErrorData, 'name'>;

export class InvalidParamsError extends BerthError {
  constructor(message: string, extra?: Extra) {
    super(ErrorCodes.InvalidParams, message, extra);
  }
}
export class RejectedError extends BerthError {
  constructor(message: string, extra?: Extra) {
    super(ErrorCodes.Rejected, message, extra);
  }
}
export class NotFoundError extends BerthError {
  constructor(message: string, extra?: Extra, options?: { cause?: unknown }) {
    super(ErrorCodes.NotFound, message, extra, options);
  }
}
export class BusyError extends BerthError {
  constructor(message: string, extra?: Extra) {
    super(ErrorCodes.Busy, message, extra);
  }
}
export class ConflictError extends BerthError {
  constructor(message: string, extra?: Extra, options?: { cause?: unknown }) {
    super(ErrorCodes.Conflict, message, extra, options);
  }
}
export class EngineUnreachableError extends BerthError {
  constructor(message: string, extra?: Extra, options?: { cause?: unknown }) {
    super(ErrorCodes.EngineUnreachable, message, extra, options);
  }
}
export class OperationFailedError extends BerthError {
  constructor(message: string, extra?: Extra, options?: { cause?: unknown }) {
    super(ErrorCodes.OperationFailed, message, extra, options);
  }
}
export class CancelledError extends BerthError {
  constructor(message = l10n.t('The operation was cancelled.'), extra?: Extra) {
    super(ErrorCodes.Cancelled, message, extra);
  }
}

export function isBerthError(error: unknown): error is BerthError {
  return error instanceof BerthError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
