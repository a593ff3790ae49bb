import * as vscode from 'vscode';
import type { Log } from '../../log';
import type { ProgressDisplay } from '../../operations/progress';
import type { RunningOperation } from '../../operations/runner';

/**
 * One running restore in the status bar (its operation's progress display): its phase and
 * percentage, and a click that opens the details (the step log) with a Cancel action while cancel
 * is still honoured. The item passes itself to the details command, so no state lives outside it.
 */
export class RestoreStatus implements ProgressDisplay {
  private readonly item: vscode.StatusBarItem;
  private readonly steps: string[] = [];
  private message = '';
  private percentage: number | undefined;
  private finished = false;

  constructor(
    private readonly log: Log,
    readonly workloadName: string,
    readonly snapshotName: string,
    private readonly operation: RunningOperation,
  ) {
    this.item = vscode.window.createStatusBarItem('berth.restore', vscode.StatusBarAlignment.Left, -1);
    this.item.name = vscode.l10n.t('Berth Restore');
    this.item.command = { command: 'berth.restore.showDetails', title: vscode.l10n.t('Show Restore Details'), arguments: [this] };
    this.report(vscode.l10n.t('Restoring {0}: starting', workloadName), 0);
    this.item.show();
  }

  report(message: string, percentage?: number): void {
    if (percentage !== undefined) this.percentage = Math.max(0, Math.min(100, Math.round(percentage)));
    if (message && message !== this.message) {
      this.message = message;
      const line = `${new Date().toLocaleTimeString()} ${this.percentage === undefined ? '' : `${this.percentage}% `}${message}`;
      this.steps.push(line);
      this.log.info(`[restore] ${line}`);
    }
    const pct = this.percentage === undefined ? '' : ` ${this.percentage}%`;
    this.item.text = `$(sync~spin) ${this.message}${pct}`;
    this.item.tooltip = vscode.l10n.t('Restoring {0} from snapshot {1}. Click for the details.', this.workloadName, this.snapshotName);
  }

  /** The steps so far, one line each. */
  details(): readonly string[] {
    return this.steps;
  }

  get phase(): string {
    return this.message;
  }

  get percent(): number | undefined {
    return this.percentage;
  }

  get running(): boolean {
    return !this.finished;
  }

  cancel(): void {
    this.operation.cancel();
  }

  dispose(): void {
    this.finished = true;
    this.item.dispose();
  }
}
