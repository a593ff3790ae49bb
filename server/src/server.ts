import { readFileSync } from 'node:fs';
import * as l10n from '@vscode/l10n';
import { ErrorCodes as RpcErrorCodes, ResponseError, TextDocumentSyncKind, type Connection } from 'vscode-languageserver/node';
import {
  PluginsChangedNotification,
  RecoveryDidRunNotification,
  ServerErrorNotification,
  SettingsChangedNotification,
  type BerthInitializationOptions,
} from '../../protocol/src';
import { Backend, type BackendSettings } from './backend';
import { quoted } from './echo';
import { errorMessage } from './errors';
import { registerEngineHandlers, type EngineHandlers, type EngineWatchTimings } from './handlers/engine';
import { registerRestoreHandlers } from './handlers/restore';
import { registerPluginHandlers } from './handlers/plugins';
import { registerServerHandlers } from './handlers/server';
import { registerScheduleHandlers } from './handlers/schedules';
import { registerSnapshotHandlers } from './handlers/snapshots';
import { registerWorkloadHandlers } from './handlers/workloads';
import { registerWorkspaceHandlers } from './handlers/workspace';
import type { Log } from './log';
import type { ScheduleLoop } from './schedules/loop';
import { notify } from './rpc';

export interface StartServerOptions {
  /** The environment for the endpoint and state directory (DOCKER_HOST, BERTH_STATE_DIR, …). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Forward the process's uncaught exceptions and unhandled rejections to the client instead of
   * dying silently. Only for the real backend process: it installs process-wide listeners.
   */
  readonly forwardUncaught?: boolean;
  /** Event stream timings; tests shorten them. */
  readonly watch?: EngineWatchTimings;
}

export interface ServerHandle {
  /** The backend once the client has initialized it. */
  backend(): Backend | undefined;
  /** Stops following events and closes the connection. Never exits the process. */
  dispose(): void;
}

/**
 * The backend's wiring: on `initialize`, builds the Backend (the composition root) with the
 * client's log, registers every handler, and runs the start-up recovery before it answers, so
 * before any request is served; once initialized, the rest of it runs in the background. The
 * real process passes its IPC connection; tests pass a connection over in-memory streams and
 * get the very same server. Never writes to stdout (it can be the transport).
 */
export function startServer(connection: Connection, options: StartServerOptions = {}): ServerHandle {
  const env = options.env ?? process.env;
  const log = connectionLog(connection);
  let backend: Backend | undefined;
  let engine: EngineHandlers | undefined;
  let schedules: ScheduleLoop | undefined;
  let readyMs = -1;

  if (options.forwardUncaught) forwardUncaught(connection, log);

  connection.onInitialize(async (params) => {
    if (backend) {
      throw new ResponseError(RpcErrorCodes.InvalidRequest, l10n.t('The Berth backend is already initialized.'));
    }
    const init = (typeof params.initializationOptions === 'object' && params.initializationOptions !== null ? params.initializationOptions : {}) as BerthInitializationOptions;
    configureL10n(init, log);
    const b = createBackend(settingsFrom(init) ?? {}, env, log);
    backend = b;
    const e = registerEngineHandlers(connection, log, b, options.watch);
    engine = e;
    registerServerHandlers(connection, log, b, () => readyMs);
    const hooks = { onEngineUnreachable: () => e.check(), stateDir: () => b.stateDir };
    registerWorkloadHandlers(connection, log, b, hooks);
    registerWorkspaceHandlers(connection, log, b, hooks);
    registerPluginHandlers(connection, log, b, hooks);
    registerSnapshotHandlers(connection, log, b, hooks);
    registerRestoreHandlers(connection, log, b, hooks);
    const loop = registerScheduleHandlers(connection, log, b, hooks);
    schedules = loop;
    connection.onNotification(SettingsChangedNotification.type, (raw: unknown) => {
      // A malformed notification must not quietly switch to the default engine.
      const settings = settingsFrom(raw);
      if (!settings) {
        log.warn(`Ignoring malformed settings: ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      try {
        if (b.updateSettings(settings)) e.reconnect();
        loop.poke();
      } catch (error) {
        log.error(`Ignoring settings: ${errorMessage(error)}`);
      }
    });
    connection.onShutdown(() => {
      e.dispose();
      loop.stop();
    });
    // A client sends no request before this answer: what a crash interrupted is finished or
    // undone first (Backend.recoverAtStartup).
    await b.recoverAtStartup();
    return {
      capabilities: { textDocumentSync: TextDocumentSyncKind.None },
      serverInfo: { name: 'berth', version: '' },
    };
  });

  // vscode-jsonrpc would answer an unknown method by echoing its whole name; `quoted` cuts it.
  connection.onRequest((method: string) => {
    throw new ResponseError(RpcErrorCodes.MethodNotFound, l10n.t('Unhandled method {0}', quoted(method)));
  });

  connection.onInitialized(() => {
    // performance.now() counts from the process's own start, so this includes Node's startup.
    readyMs = Math.round(performance.now());
    log.info(`Berth backend ready (pid ${process.pid}) in ${readyMs} ms; state in ${backend?.stateDir ?? '?'}`);
    // Say at once whether the engine answers, so an unreachable one shows without a request.
    engine?.check();
    // Safety copies the start-up recovery deferred, and the plugin sweep, while requests are served.
    void backend?.recoverInBackground({
      pluginsChanged: (workload) => notify(connection, PluginsChangedNotification.type, { workload }),
      recovered: (report) => notify(connection, RecoveryDidRunNotification.type, report),
    });
    // Due schedules run while the client is connected (docs/schedules.md).
    schedules?.start();
  });

  connection.listen();

  return {
    backend: () => backend,
    dispose: () => {
      schedules?.stop();
      engine?.dispose();
      connection.dispose();
    },
  };
}

/** The client's log channel; a closed connection must not make logging throw. */
function connectionLog(connection: Connection): Log {
  const guard = (write: (m: string) => void) => (message: string) => {
    try {
      write(message);
    } catch {
      // Nobody is listening any more.
    }
  };
  return {
    info: guard((m) => connection.console.info(m)),
    warn: guard((m) => connection.console.warn(m)),
    error: guard((m) => connection.console.error(m)),
  };
}

/**
 * An invalid state directory must not kill the backend: fall back to the default location and
 * say so in the log; the client validates the setting and shows the error.
 */
function createBackend(settings: BackendSettings, env: NodeJS.ProcessEnv, log: Log): Backend {
  try {
    return new Backend({ settings, env, log });
  } catch (error) {
    log.error(`Ignoring the state directory setting: ${errorMessage(error)}`);
  }
  try {
    return new Backend({ settings: { ...settings, stateDir: undefined }, env, log });
  } catch (error) {
    log.error(`Ignoring BERTH_STATE_DIR: ${errorMessage(error)}`);
    return new Backend({ settings: { ...settings, stateDir: undefined }, env: { ...env, BERTH_STATE_DIR: undefined }, log });
  }
}

/** The settings from the client; undefined when they are not of the protocol's shape. */
function settingsFrom(raw: unknown): BackendSettings | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const fields = [o.dockerHost, o.stateDir, o.pluginsRoot, o.helperImage];
  if (fields.some((v) => v !== undefined && v !== null && typeof v !== 'string')) return undefined;
  // An empty string means "not set", as in the settings UI.
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const dockerHost = str(o.dockerHost);
  const stateDir = str(o.stateDir);
  const pluginsRoot = str(o.pluginsRoot);
  const helperImage = str(o.helperImage);
  return {
    ...(dockerHost ? { dockerHost } : {}),
    ...(stateDir ? { stateDir } : {}),
    ...(pluginsRoot ? { pluginsRoot } : {}),
    ...(helperImage ? { helperImage } : {}),
    // Checked entry by entry by the schedule service, which reports what it cannot run.
    ...(o.schedules !== undefined && o.schedules !== null ? { schedules: o.schedules } : {}),
  };
}

function configureL10n(options: BerthInitializationOptions, log: Log): void {
  if (typeof options.l10nBundle !== 'string' || !options.l10nBundle) return;
  try {
    l10n.config({ contents: JSON.parse(readFileSync(options.l10nBundle, 'utf8')) as Record<string, string> });
  } catch (error) {
    log.warn(`Cannot load the l10n bundle ${options.l10nBundle}: ${errorMessage(error)}`);
  }
}

function forwardUncaught(connection: Connection, log: Log): void {
  // A failure while reporting (the client has gone) must not be reported again, or it loops.
  let reporting = false;
  const report = (kind: string, error: Error) => {
    if (reporting) return;
    reporting = true;
    try {
      log.error(`${kind}: ${error.stack ?? error.message}`);
      notify(connection, ServerErrorNotification.type, { message: error.message, ...(error.stack ? { stack: error.stack } : {}) });
    } finally {
      reporting = false;
    }
  };
  process.on('uncaughtException', (error) => report('Uncaught exception', error));
  process.on('unhandledRejection', (reason) => report('Unhandled rejection', reason instanceof Error ? reason : new Error(String(reason))));
}
