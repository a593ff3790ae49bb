import type { Connection } from 'vscode-languageserver/node';
import {
  EngineStatusNotification,
  EngineStatusRequest,
  WatchWorkloadsNotification,
  WorkloadsChangedNotification,
  type EngineStatus,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { onRequest } from '../rpc';
import { EventWatcher } from '../workloads/eventWatcher';

/**
 * Engine health and the live event stream. The stream runs only while the client says a view
 * is visible; its connection state drives the engine status the client shows.
 */
export function registerEngineHandlers(connection: Connection, log: Log, backend: Backend): { dispose(): void; reconnect(): void } {
  let lastStatus: EngineStatus | undefined;
  const publish = (status: EngineStatus) => {
    if (lastStatus && lastStatus.reachable === status.reachable && lastStatus.endpoint === status.endpoint && lastStatus.error === status.error) return;
    lastStatus = status;
    log.info(status.reachable ? `Engine reachable at ${status.endpoint} (${status.version ?? '?'})` : `Engine unreachable at ${status.endpoint}: ${status.error ?? ''}`);
    void connection.sendNotification(EngineStatusNotification.type, status);
  };

  const watcher = new EventWatcher({
    subscribe: (signal) => backend.engine().containerEvents(signal),
    fingerprint: async (signal) => {
      const list = await backend.workloads.list(true, signal);
      return list.map((w) => `${w.id}:${w.state}:${w.health}:${w.name}`).sort().join('\n');
    },
    onChange: (reason) => void connection.sendNotification(WorkloadsChangedNotification.type, { reason }),
    onConnection: (connected) => {
      // A lost stream may be a restarting engine or a network blip: ask the engine itself.
      void backend.engineStatus().then(publish, () => undefined);
      if (connected) log.info('Following engine events');
    },
  });

  connection.onNotification(WatchWorkloadsNotification.type, (params) => {
    const visible = typeof params === 'object' && params !== null && (params as { visible?: unknown }).visible === true;
    watcher.setVisible(visible);
  });

  onRequest(connection, log, EngineStatusRequest.type, async (_raw, ctx) => {
    const status = await backend.engineStatus(ctx.signal);
    publish(status);
    return status;
  });

  return {
    dispose: () => watcher.dispose(),
    reconnect: () => {
      lastStatus = undefined;
      watcher.restart();
    },
  };
}
