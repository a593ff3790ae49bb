import * as vscode from 'vscode';
import type { Ctx } from './ctx';

/**
 * Shows the backend's health (and the engine's reachability) and opens the log when clicked.
 * Operations with progress use their own notifications; this item stays a health light.
 */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.item = vscode.window.createStatusBarItem('berth.status', vscode.StatusBarAlignment.Left, 0);
    this.item.name = vscode.l10n.t('Berth');
    this.item.command = 'berth.showLog';
    this.subscriptions.push(ctx.onDidChangeBackendState(() => this.render()), ctx.onDidChangeEngineStatus(() => this.render()));
    this.render();
    this.item.show();
  }

  private render(): void {
    const engine = this.ctx.engineStatus;
    const item = this.item;
    item.backgroundColor = undefined;
    switch (this.ctx.backendState) {
      case 'starting':
        item.text = `$(loading~spin) ${vscode.l10n.t('Berth')}`;
        item.tooltip = vscode.l10n.t('Berth backend is starting');
        break;
      case 'stopped':
        item.text = `$(error) ${vscode.l10n.t('Berth')}`;
        item.tooltip = vscode.l10n.t('Berth backend has stopped. Click to open the log.');
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
      case 'ready':
        if (engine && !engine.reachable) {
          item.text = `$(warning) ${vscode.l10n.t('Berth')}`;
          item.tooltip = vscode.l10n.t('Cannot reach the Docker engine at {0}: {1}', engine.endpoint, engine.error ?? '');
          item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        } else {
          item.text = `$(check) ${vscode.l10n.t('Berth')}`;
          item.tooltip = engine
            ? vscode.l10n.t('Berth backend is running. Docker {0} at {1}.', engine.version ?? '?', engine.endpoint)
            : vscode.l10n.t('Berth backend is running.');
        }
        break;
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
