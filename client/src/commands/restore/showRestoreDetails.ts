import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { RestoreStatus } from './restoreStatus';

/**
 * The status-bar item's click: the restore's steps in the Berth log, and its phase with a Cancel
 * action. Cancel is honoured until the point of no return; after it the backend refuses and the
 * result says why.
 */
export function showRestoreDetails(ctx: Ctx) {
  return async (arg?: unknown): Promise<void> => {
    if (!(arg instanceof RestoreStatus)) {
      ctx.log.show();
      return;
    }
    ctx.log.show();
    if (!arg.running) return;
    const cancel = vscode.l10n.t('Cancel Restore');
    const pct = arg.percent === undefined ? '' : ` (${arg.percent}%)`;
    const choice = await vscode.window.showInformationMessage(
      `${arg.phase}${pct}`,
      { detail: arg.details().join('\n') },
      cancel,
    );
    if (choice === cancel && arg.running) {
      arg.cancel();
      arg.report(vscode.l10n.t('Restoring {0}: cancel requested', arg.workloadName));
    }
  };
}
