import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  EngineStatusNotification,
  EngineStatusRequest,
  WatchWorkloadsNotification,
  WorkloadsChangedNotification,
  type EngineStatus,
  type WorkloadsChangedParams,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { notify, onRequest } from '../rpc';
import { EventWatcher, type EventWatcherOptions } from '../workloads/eventWatcher';

export interface EngineHandlers {
  /** Asks the engine now and publishes its status when it changed. */
  check(): void;
  /** The endpoint changed: forget the last status, re-check and re-follow events. */
  reconnect(): void;
  dispose(): void;
}

/** Timings of the event stream; tests shorten them. */
export type EngineWatchTimings = Pick<EventWatcherOptions, 'debounceMs' | 'pollMs' | 'initialBackoffMs' | 'maxBackoffMs' | 'subscribeTimeoutMs'>;

/**
 * Engine health and the live event stream. The stream runs only while the client says a view
 * is visible; its connection state, failed requests and endpoint changes drive the engine status
 * the client shows (berth/engine/didChangeStatus, sent only when the status changed).
 */
export function registerEngineHandlers(connection: Connection, log: Log, backend: Backend, timings: EngineWatchTimings = {}): EngineHandlers {
  let lastStatus: EngineStatus | undefined;
  let checking: Promise<void> | undefined;
  let recheck = false;
  let disposed = false;

  const publish = (status: EngineStatus) => {
    if (disposed) return;
    if (lastStatus && lastStatus.reachable === status.reachable && lastStatus.endpoint === status.endpoint && lastStatus.error === status.error) return;
    lastStatus = status;
    log.info(status.reachable ? `Engine reachable at ${status.endpoint} (${status.version ?? '?'})` : `Engine unreachable at ${status.endpoint}: ${status.error ?? ''}`);
    notify(connection, EngineStatusNotification.type, status);
  };

  // One check at a time; a check asked for while one runs runs once more afterwards, so the
  // published status is never older than the last reason to look.
  const check = (): void => {
    if (disposed) return;
    if (checking) {
      recheck = true;
      return;
    }
    checking = backend
      .engineStatus()
      .then(publish, (error: unknown) => log.warn(`Engine status check failed: ${String(error)}`))
      .finally(() => {
        checking = undefined;
        if (recheck) {
          recheck = false;
          check();
        }
      });
  };

  const watcher = new EventWatcher({
    ...timings,
    subscribe: (signal) => backend.engine().containerEvents(signal),
    fingerprint: async (signal) => {
      const list = await backend.workloads.list(true, signal);
      return list.map((w) => `${w.id}:${w.state}:${w.health}:${w.name}`).sort().join('\n');
    },
    onChange: (reason: WorkloadsChangedParams['reason']) => notify(connection, WorkloadsChangedNotification.type, { reason }),
    onConnection: (connected, error) => {
      // A lost stream may be a restarting engine or a network blip: ask the engine itself.
      if (connected) log.info('Following engine events');
      else log.warn(`Engine event stream lost: ${String(error ?? 'ended')}`);
      check();
    },
  });

  connection.onNotification(WatchWorkloadsNotification.type, (params: unknown) => {
    const visible = typeof params === 'object' && params !== null && (params as { visible?: unknown }).visible === true;
    watcher.setVisible(visible);
  });

  onRequest(
    connection,
    log,
    EngineStatusRequest,
    async (_params, ctx) => {
      const status = await backend.engineStatus(ctx.signal);
      publish(status);
      return status;
    },
    { title: l10n.t('Checking the Docker engine') },
  );

  return {
    check,
    reconnect: () => {
      lastStatus = undefined;
      watcher.restart();
      check();
    },
    dispose: () => {
      disposed = true;
      watcher.dispose();
    },
  };
}
