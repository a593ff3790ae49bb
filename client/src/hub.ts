import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  EngineStatusNotification,
  PluginsChangedNotification,
  RecoveryDidRunNotification,
  ScheduleDidRunNotification,
  ServerErrorNotification,
  SnapshotsChangedNotification,
  WorkloadsChangedNotification,
  type EngineStatus,
  type RecoveryReport,
  type ScheduleDidRunParams,
} from '../../protocol/src';

/** The views, as refresh targets. */
export type Topic = 'workloads' | 'plugins' | 'snapshots';
export const TOPICS: readonly Topic[] = ['workloads', 'plugins', 'snapshots'];

/**
 * Why a view should refresh; a view decides by it how soon (the Plugins view debounces all but
 * `manual`, and re-lists on `containers` only when the set of running containers changed).
 * - `manual`: the user asked (a Refresh button or command).
 * - `containers`: the engine's containers changed (the backend's debounced event stream).
 * - `changed`: the backend says this view's data changed (a plugin operation, the catalog).
 * - `backend`: the backend started, restarted or stopped.
 * - `engine`: the engine's reachability was read again.
 * - `busy`: a workload became busy or free in this client, or the backend took its lock.
 * - `recovery`: recovery finished or undid an interrupted operation.
 */
export type RefreshReason = 'manual' | 'containers' | 'changed' | 'backend' | 'engine' | 'busy' | 'recovery';

/**
 * The one subscriber to the backend's notifications, and the one place that decides which view
 * each change concerns (in the manner of vscode-containers' RefreshManager). The language client
 * keeps one handler per notification method, so everything that cares subscribes here instead:
 * views to their topic, Ctx to the engine's status, the recovery notifier to recovery reports.
 */
export class NotificationHub implements vscode.Disposable {
  private readonly topics: Readonly<Record<Topic, vscode.EventEmitter<RefreshReason>>> = {
    workloads: new vscode.EventEmitter<RefreshReason>(),
    plugins: new vscode.EventEmitter<RefreshReason>(),
    snapshots: new vscode.EventEmitter<RefreshReason>(),
  };
  private readonly engineStatus = new vscode.EventEmitter<EngineStatus>();
  private readonly recovery = new vscode.EventEmitter<RecoveryReport>();
  private readonly serverError = new vscode.EventEmitter<{ readonly message: string; readonly stack?: string }>();
  private readonly scheduleRun = new vscode.EventEmitter<ScheduleDidRunParams>();
  private followed: vscode.Disposable[] = [];

  /** The engine's reachability, as the backend reports it when it changes. */
  readonly onEngineStatus = this.engineStatus.event;
  /** A recovery the backend ran after its start (or a deferred part of one, done later). */
  readonly onRecoveryDidRun = this.recovery.event;
  /** An uncaught error inside the backend, which it survived. */
  readonly onServerError = this.serverError.event;
  /** A scheduled snapshot the backend ran (docs/schedules.md). */
  readonly onScheduleDidRun = this.scheduleRun.event;

  /** Calls `listener` whenever the view `topic` should refresh. */
  onRefresh(topic: Topic, listener: (reason: RefreshReason) => void): vscode.Disposable {
    return this.topics[topic].event(listener);
  }

  /** Asks these views to refresh. */
  refresh(topics: readonly Topic[], reason: RefreshReason): void {
    for (const topic of topics) this.topics[topic].fire(reason);
  }

  /**
   * Subscribes to a language client's notifications, replacing the subscriptions to an earlier
   * client. Call it before the client starts: the client keeps its handlers across restarts.
   */
  follow(client: LanguageClient): void {
    this.unfollow();
    this.followed = [
      client.onNotification(WorkloadsChangedNotification.type, () => this.refresh(['workloads', 'plugins'], 'containers')),
      client.onNotification(PluginsChangedNotification.type, () => this.refresh(['plugins'], 'changed')),
      client.onNotification(SnapshotsChangedNotification.type, () => this.refresh(['snapshots'], 'changed')),
      client.onNotification(EngineStatusNotification.type, (status) => this.engineStatus.fire(status)),
      client.onNotification(RecoveryDidRunNotification.type, (report) => this.recovery.fire(report)),
      client.onNotification(ServerErrorNotification.type, (error) => this.serverError.fire(error)),
      client.onNotification(ScheduleDidRunNotification.type, (report) => {
        this.scheduleRun.fire(report);
        this.refresh(['snapshots'], 'changed');
      }),
    ];
  }

  private unfollow(): void {
    for (const d of this.followed.splice(0)) d.dispose();
  }

  dispose(): void {
    this.unfollow();
    for (const e of [...Object.values(this.topics), this.engineStatus, this.recovery, this.serverError, this.scheduleRun]) e.dispose();
  }
}
