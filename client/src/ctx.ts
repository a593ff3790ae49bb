import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import type { RequestType } from 'vscode-jsonrpc';
import {
  EngineStatusNotification,
  EngineStatusRequest,
  ServerErrorNotification,
  ServerInfoRequest,
  SettingsChangedNotification,
  WatchWorkloadsNotification,
  WorkloadsChangedNotification,
  type EngineStatus,
  type ServerInfo,
} from '../../protocol/src';
import { registerCommands } from './commands';
import { RecoveryNotifier } from './commands/restore/recoveryNotifier';
import { createLanguageClient } from './languageClient';
import { Log } from './log';
import { affectsBackend, readBackendSettings } from './settings';
import { StatusBar } from './statusBar';
import { createViews, type Views } from './views';
import { registerExportDocuments } from './workspace/exportDocuments';

export type BackendState = 'starting' | 'ready' | 'stopped';

/**
 * Owns everything the extension creates: the backend client, the log, the status bar, the
 * views and the commands. Nothing lives in module-level variables.
 */
export class Ctx implements vscode.Disposable {
  readonly log = new Log();
  private client: LanguageClient | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusBar: StatusBar;
  private views_: Views | undefined;
  private readonly backendStateEmitter = new vscode.EventEmitter<BackendState>();
  private readonly engineStatusEmitter = new vscode.EventEmitter<EngineStatus | undefined>();
  private readonly workloadsChangedEmitter = new vscode.EventEmitter<void>();
  private watching: boolean | undefined;
  private readonly logChannels = new Map<string, vscode.OutputChannel>();
  backendState: BackendState = 'starting';
  engineStatus: EngineStatus | undefined;
  /** Milliseconds `activate` took (measured by Ctx itself, for the benchmark and the log). */
  activationMs = -1;

  readonly onDidChangeBackendState = this.backendStateEmitter.event;
  readonly onDidChangeEngineStatus = this.engineStatusEmitter.event;
  readonly onDidChangeWorkloads = this.workloadsChangedEmitter.event;

  constructor(readonly extensionContext: vscode.ExtensionContext) {
    this.statusBar = new StatusBar(this);
    this.disposables.push(this.log, this.statusBar, this.backendStateEmitter, this.engineStatusEmitter, this.workloadsChangedEmitter);
  }

  async activate(): Promise<void> {
    const started = performance.now();
    this.views_ = createViews(this);
    this.disposables.push(this.views_);
    this.disposables.push(...registerCommands(this));
    this.disposables.push(new RecoveryNotifier(this));
    this.disposables.push(registerExportDocuments(this));
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affectsBackend(event) && this.client?.isRunning()) {
          void this.client.sendNotification(SettingsChangedNotification.type, readBackendSettings());
          void this.refreshEngineStatus();
        }
      }),
    );
    this.extensionContext.subscriptions.push(this);
    // The backend starts in the background: activation must not wait for it.
    void this.startBackend();
    this.activationMs = Math.round(performance.now() - started);
    this.log.info(`Berth activated in ${this.activationMs} ms`);
  }

  private async startBackend(): Promise<void> {
    const client = createLanguageClient(this.extensionContext, this.log);
    this.client = client;
    this.disposables.push(
      client.onDidChangeState((event) => {
        if (event.newState === State.Running) this.setBackendState('ready');
        else if (event.newState === State.Starting) this.setBackendState('starting');
        else this.setBackendState('stopped');
      }),
    );
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The Berth backend did not start: ${String(error)}`);
      this.setBackendState('stopped');
      return;
    }
    this.disposables.push(
      client.onNotification(WorkloadsChangedNotification.type, () => this.workloadsChangedEmitter.fire()),
      client.onNotification(EngineStatusNotification.type, (status) => this.setEngineStatus(status)),
      client.onNotification(ServerErrorNotification.type, (e) => this.log.error(`Backend error: ${e.stack ?? e.message}`)),
    );
    if (this.watching !== undefined) void client.sendNotification(WatchWorkloadsNotification.type, { visible: this.watching });
    await this.refreshEngineStatus();
    this.workloadsChangedEmitter.fire();
  }

  views(): Views {
    if (!this.views_) throw new Error('views not created');
    return this.views_;
  }

  /** One output channel per container name for its logs, reused across invocations. */
  logChannel(name: string): vscode.OutputChannel {
    let channel = this.logChannels.get(name);
    if (!channel) {
      channel = vscode.window.createOutputChannel(vscode.l10n.t('Berth Logs: {0}', name));
      this.logChannels.set(name, channel);
      this.disposables.push(channel);
    }
    return channel;
  }

  /** Restarts the backend process (for the "Restart Backend" command and after crashes). */
  async restartBackend(): Promise<void> {
    if (this.client?.isRunning()) await this.client.restart();
    else await this.startBackend();
  }

  /** Sends a request to the backend; the token's cancellation crosses the process boundary. */
  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = this.client;
    if (!client || !client.isRunning()) {
      throw new Error(vscode.l10n.t('The Berth backend is not running. Open the Berth log for details.'));
    }
    return client.sendRequest(type, params, token);
  }

  /** The backend's progress notifications for a work-done token (see withRequestProgress). */
  languageClient(): LanguageClient | undefined {
    return this.client;
  }

  async refreshEngineStatus(): Promise<EngineStatus | undefined> {
    try {
      const status = await this.request(EngineStatusRequest.type, undefined);
      this.setEngineStatus(status);
      return status;
    } catch (error) {
      this.log.warn(`Engine status unavailable: ${String(error)}`);
      return undefined;
    }
  }

  serverInfo(): Promise<ServerInfo> {
    return this.request(ServerInfoRequest.type, undefined);
  }

  /** Views call this when their visibility changes; the backend follows events only then. */
  setWatching(visible: boolean): void {
    if (this.watching === visible) return;
    this.watching = visible;
    if (this.client?.isRunning()) void this.client.sendNotification(WatchWorkloadsNotification.type, { visible });
  }

  private setBackendState(state: BackendState): void {
    if (this.backendState === state) return;
    this.backendState = state;
    void vscode.commands.executeCommand('setContext', 'berth.backendState', state);
    this.backendStateEmitter.fire(state);
  }

  private setEngineStatus(status: EngineStatus): void {
    const before = this.engineStatus;
    this.engineStatus = status;
    void vscode.commands.executeCommand('setContext', 'berth.engineUnreachable', !status.reachable);
    this.engineStatusEmitter.fire(status);
    if (before && !before.reachable && status.reachable) this.workloadsChangedEmitter.fire();
  }

  async dispose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    if (client) await client.dispose(2000).catch(() => undefined);
  }
}
