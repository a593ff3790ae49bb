import * as vscode from 'vscode';
import type { ScheduleDidRunParams } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';

/**
 * Tells the user when a scheduled snapshot the backend ran failed (or was interrupted), with
 * Show Log; a run that worked, or a busy target skipped, is only logged (docs/schedules.md).
 */
export class ScheduleNotifier implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  /** The notifications shown, for tests. */
  readonly shown: string[] = [];

  constructor(private readonly ctx: Ctx) {
    this.subscription = ctx.hub.onScheduleDidRun((report) => this.show(report));
  }

  private show({ schedule, run }: ScheduleDidRunParams): void {
    const target = schedule.entry.target;
    const slot = new Date(run.slot).toLocaleString();
    this.ctx.log.info(`[schedule ${schedule.id}] ${target} ${slot}: ${run.outcome}${run.message ? ` — ${run.message}` : ''}`);
    if (run.outcome !== 'failed' && run.outcome !== 'interrupted') return;
    const text = vscode.l10n.t('The scheduled snapshot of {0} ({1}) failed: {2}', target, slot, run.message ?? run.outcome);
    this.shown.push(text);
    const log = vscode.l10n.t('Show Log');
    void vscode.window.showErrorMessage(text, log).then((choice) => {
      if (choice === log) this.ctx.log.show();
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
