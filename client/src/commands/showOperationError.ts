import * as vscode from 'vscode';
import { ErrorCodes } from '../../../protocol/src';
import type { Ctx } from '../ctx';

/** Shows a backend error to the user; cancellation is silent. */
export function showOperationError(ctx: Ctx, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  if (code === ErrorCodes.Cancelled) return;
  const message = error instanceof Error ? error.message : String(error);
  ctx.log.error(message);
  const openLog = vscode.l10n.t('Open Log');
  void vscode.window.showErrorMessage(message, openLog).then((choice) => {
    if (choice === openLog) ctx.log.show();
  });
}
