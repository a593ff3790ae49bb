import * as vscode from 'vscode';
import { ErrorCodes, errorCodeName } from '../../../protocol/src';
import type { Log } from '../log';

/** A failure as the log, the notification and tests see it. */
export interface ErrorSummary {
  /** The backend's typed error code (protocol/src/errors.ts), when the error came from it. */
  readonly code?: number;
  /** The code's name (`NotFound`, `Busy`), else the JavaScript error's name. */
  readonly name: string;
  /** The message the backend wrote for people: it names the step, the input and what to do. */
  readonly message: string;
}

/** True for a cancel the user asked for: the backend's Cancelled answer, or VS Code's own. */
export function isCancellation(error: unknown): boolean {
  return error instanceof vscode.CancellationError || errorCode(error) === ErrorCodes.Cancelled;
}

export function summarizeError(error: unknown): ErrorSummary {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const name = (code !== undefined ? errorCodeName(code) : undefined) ?? (error instanceof Error ? error.name : 'Error');
  return { ...(code !== undefined ? { code } : {}), name, message };
}

/**
 * Shows a failure to the user: the typed error's message, with the actions that fit it (the
 * log, where the backend wrote the details). The one place that decides how an error looks, for
 * the operation runner and the command guard alike.
 */
export function showError(log: Log, error: ErrorSummary): Notice {
  const actions = actionsFor(error, log);
  const notice: Notice = { message: error.message, actions: actions.map((a) => a.title) };
  void vscode.window.showErrorMessage(notice.message, ...notice.actions).then((choice) => {
    actions.find((a) => a.title === choice)?.run();
  });
  return notice;
}

/** A notification as shown: its text and its buttons. */
export interface Notice {
  readonly message: string;
  readonly actions: readonly string[];
}

interface ErrorAction {
  readonly title: string;
  run(): void;
}

/** Every error leads to the log: the backend writes there which step failed and what it undid. */
function actionsFor(_error: ErrorSummary, log: Log): readonly ErrorAction[] {
  return [{ title: vscode.l10n.t('Open Log'), run: () => log.show() }];
}

/** The typed error code an error carries (the backend's answers do), if any. */
export function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}
