import * as vscode from 'vscode';
import { StartupRecoveryRequest, type RecoveryReport } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { describeRecovery } from './recoveryReport';

/**
 * Tells the user when the backend's start found a restore that a crash had interrupted and
 * finished or undid it (the backend does that before it serves any request), and again when
 * the deferred part (storing the safety copy) is done.
 */
export class RecoveryNotifier implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.subscriptions.push(
      ctx.hub.onRecoveryDidRun((report) => this.show(report)),
      ctx.onDidChangeBackendState((state) => void this.onState(state)),
    );
    if (ctx.backendState === 'ready') void this.onState('ready');
  }

  private async onState(state: string): Promise<void> {
    if (state !== 'ready') return;
    try {
      const { report } = await this.ctx.request(StartupRecoveryRequest.type, undefined);
      if (report) this.show(report);
    } catch (error) {
      this.ctx.log.warn(`Recovery report unavailable: ${String(error)}`);
    }
  }

  private show(report: RecoveryReport): void {
    if (!report.didSomething) return;
    const text = describeRecovery(report);
    if (!text) return;
    this.ctx.log.info(`[recovery] ${text}`);
    const log = vscode.l10n.t('Open Log');
    void vscode.window.showInformationMessage(vscode.l10n.t('Berth recovered after a crash: {0}', text), log).then((choice) => {
      if (choice === log) this.ctx.log.show();
    });
    this.ctx.hub.refresh(['snapshots', 'workloads'], 'recovery');
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
