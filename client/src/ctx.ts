import * as vscode from 'vscode';
import { State, WorkDoneProgress, type LanguageClient, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { RequestType } from 'vscode-jsonrpc';
import {
  EngineStatusRequest,
  ErrorCodes,
  ServerInfoRequest,
  SettingsChangedNotification,
  WatchWorkloadsNotification,
  type EngineStatus,
  type ServerInfo,
} from '../../protocol/src';
import { NotificationHub, TOPICS } from './hub';
import { createLanguageClient } from './languageClient';
import { Log } from './log';
import { BusyWorkloads } from './operations/busy';
import { errorCode } from './operations/errors';
import { OperationRunner, type OperationOptions, type OperationParams } from './operations/runner';
import { affectsBackend, readBackendSettings } from './settings';

export type BackendState = 'starting' | 'ready' | 'stopped';

/**
 * What every view and command works through: the backend (its process, its state, requests and
 * the one operation runner), the engine's status, the notification hub, the busy workloads and
 * the log. It imports no view and no command: `extension.ts` makes those, hands them this, and
 * gives them back to it to dispose. Nothing lives in module-level variables.
 */
export class Ctx implements vscode.Disposable {
  readonly log = new Log();
  /** Every backend notification, and every reason a view should refresh. */
  readonly hub = new NotificationHub();
  /** The workloads an operation of this client runs on; views mark them busy. */
  readonly busy = new BusyWorkloads();
  /** Runs every backend operation: progress, cancel, busy rows, errors, log lines. */
  readonly operations: OperationRunner;
  private client: LanguageClient | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly backendStateEmitter = new vscode.EventEmitter<BackendState>();
  private readonly engineStatusEmitter = new vscode.EventEmitter<EngineStatus | undefined>();
  private watching: boolean | undefined;
  private readonly logChannels = new Map<string, vscode.OutputChannel>();
  backendState: BackendState = 'starting';
  engineStatus: EngineStatus | undefined;
  /** Milliseconds activation took (measured by extension.ts, for the benchmark and the log). */
  activationMs = -1;

  readonly onDidChangeBackendState = this.backendStateEmitter.event;
  readonly onDidChangeEngineStatus = this.engineStatusEmitter.event;

  constructor(readonly extensionContext: vscode.ExtensionContext) {
    this.operations = new OperationRunner(this);
    this.disposables.push(
      this.log,
      this.hub,
      this.busy,
      this.operations,
      this.backendStateEmitter,
      this.engineStatusEmitter,
      this.hub.onEngineStatus((status) => this.setEngineStatus(status)),
      this.hub.onServerError((e) => this.log.error(`Backend error: ${e.stack ?? e.message}`)),
      this.busy.onDidChange(() => this.hub.refresh(TOPICS, 'busy')),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (affectsBackend(event) && this.client?.isRunning()) {
          void this.client.sendNotification(SettingsChangedNotification.type, readBackendSettings());
          void this.refreshEngineStatus();
        }
      }),
    );
  }

  /** Keeps what the composition root made with this Ctx; disposed with it, the last made first. */
  own(...disposables: vscode.Disposable[]): void {
    this.disposables.push(...disposables);
  }

  /** Starts the backend process; activation does not wait for it. */
  async startBackend(): Promise<void> {
    const client = createLanguageClient(this.extensionContext, this.log);
    this.client = client;
    // Before start: the client registers the handlers when it connects, and again on restarts.
    this.hub.follow(client);
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
    if (this.watching !== undefined) void client.sendNotification(WatchWorkloadsNotification.type, { visible: this.watching });
    await this.refreshEngineStatus();
    this.hub.refresh(['workloads', 'plugins'], 'containers');
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

  /**
   * Sends a request to the backend; the token's cancellation crosses the process boundary. For
   * reads (listings, pickers); operations go through `runOperation`.
   */
  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = this.client;
    if (!client || !client.isRunning()) {
      throw new Error(vscode.l10n.t('The Berth backend is not running. Open the Berth log for details.'));
    }
    return client.sendRequest(type, params, token);
  }

  /**
   * Runs a backend operation with progress, cancel, the busy mark, error display and log lines
   * (operations/runner.ts). Resolves to undefined when it failed or was cancelled: the user has
   * been told.
   */
  runOperation<P, R>(type: RequestType<P, R, void>, params: OperationParams<P>, options: OperationOptions<R>): Promise<R | undefined> {
    return this.operations.run(type, params, options);
  }

  /** Follows the backend's work-done progress for a token (the operation runner's feed). */
  onWorkDoneProgress(token: string, handler: (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => void): vscode.Disposable | undefined {
    return this.client?.onProgress(WorkDoneProgress.type, token, handler);
  }

  /** The language client, for tests that follow a request's progress themselves. */
  languageClient(): LanguageClient | undefined {
    return this.client;
  }

  /**
   * A listing failed. When the engine could not be reached, read its status again: the status
   * bar and the welcome content then say so, and every view follows the new status.
   */
  noticeFailure(error: unknown): void {
    if (errorCode(error) === ErrorCodes.EngineUnreachable) void this.refreshEngineStatus();
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
    this.hub.refresh(['plugins', 'snapshots'], 'backend');
  }

  private setEngineStatus(status: EngineStatus): void {
    const before = this.engineStatus;
    this.engineStatus = status;
    void vscode.commands.executeCommand('setContext', 'berth.engineUnreachable', !status.reachable);
    this.engineStatusEmitter.fire(status);
    this.hub.refresh(['workloads', 'plugins'], 'engine');
    if (before && !before.reachable && status.reachable) this.hub.refresh(['workloads', 'plugins'], 'containers');
  }

  async dispose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    if (client) await client.dispose(2000).catch(() => undefined);
  }
}
