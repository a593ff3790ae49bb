import * as vscode from 'vscode';
import { RunRecoveryRequest, type RecoveryReport } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { showOperationError } from '../showOperationError';
import { describeRecovery } from './recoveryReport';

/** Recover Interrupted Operations: runs the recovery sweep now and says what it did. */
export function recover(ctx: Ctx) {
  return async (): Promise<RecoveryReport | undefined> => {
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Recovering interrupted operations…') },
        () => ctx.request(RunRecoveryRequest.type, undefined),
      );
      const text = describeRecovery(report);
      void vscode.window.showInformationMessage(text ?? vscode.l10n.t('Nothing to recover.'));
      return report;
    } catch (error) {
      showOperationError(ctx, error);
      return undefined;
    }
  };
}
