import * as vscode from 'vscode';
import { RunRecoveryRequest, type RecoveryReport } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { describeRecovery } from './recoveryReport';

/** Recover Interrupted Operations: runs the recovery sweep now and says what it did. */
export function recover(ctx: Ctx) {
  return async (): Promise<RecoveryReport | undefined> => {
    const report = await ctx.runOperation(RunRecoveryRequest.type, undefined, {
      title: vscode.l10n.t('Recovering interrupted operations…'),
      cancellable: false,
      made: (r) => describeRecovery(r),
    });
    if (!report) return undefined;
    void vscode.window.showInformationMessage(describeRecovery(report) ?? vscode.l10n.t('Nothing to recover.'));
    return report;
  };
}
