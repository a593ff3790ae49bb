// The backend process: wiring only. Started by the extension through vscode-languageclient
// over Node IPC. Never writes to stdout (it can be the transport); logs go to the client.
import { readFileSync } from 'node:fs';
import * as l10n from '@vscode/l10n';
import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';
import {
  ServerErrorNotification,
  SettingsChangedNotification,
  type BerthInitializationOptions,
} from '../../protocol/src';
import { Backend, type BackendSettings } from './backend';
import { registerEngineHandlers } from './handlers/engine';
import { finishStartupRecovery, registerRestoreHandlers } from './handlers/restore';
import { registerServerHandlers } from './handlers/server';
import { registerSnapshotHandlers } from './handlers/snapshots';
import { registerWorkloadHandlers } from './handlers/workloads';
import type { Log } from './log';

let readyMs = -1;

const connection = createConnection(ProposedFeatures.all);
const log: Log = {
  info: (m) => connection.console.info(m),
  warn: (m) => connection.console.warn(m),
  error: (m) => connection.console.error(m),
};

process.on('uncaughtException', (error) => {
  log.error(`Uncaught exception: ${error.stack ?? error.message}`);
  void connection.sendNotification(ServerErrorNotification.type, { message: error.message, ...(error.stack ? { stack: error.stack } : {}) });
});
process.on('unhandledRejection', (reason) => {
  const error = reason instanceof Error ? reason : new Error(String(reason));
  log.error(`Unhandled rejection: ${error.stack ?? error.message}`);
  void connection.sendNotification(ServerErrorNotification.type, { message: error.message, ...(error.stack ? { stack: error.stack } : {}) });
});

let backend: Backend | undefined;

connection.onInitialize(async (params) => {
  const options = (params.initializationOptions ?? {}) as BerthInitializationOptions;
  configureL10n(options);
  const settings = settingsFrom(options);
  try {
    backend = new Backend(settings);
  } catch (error) {
    // An invalid stateDir setting must not kill the backend: fall back to the default location
    // and say so in the log; the client validates the setting and shows the error.
    log.error(`Ignoring settings: ${(error as Error).message}`);
    backend = new Backend({ ...settings, stateDir: undefined });
  }
  const b = backend;
  registerServerHandlers(connection, log, b, () => readyMs);
  registerWorkloadHandlers(connection, log, b);
  registerSnapshotHandlers(connection, log, b);
  registerRestoreHandlers(connection, log, b);
  const engine = registerEngineHandlers(connection, log, b);
  connection.onNotification(SettingsChangedNotification.type, (raw) => {
    try {
      if (b.updateSettings(settingsFrom(raw ?? {}))) engine.reconnect();
    } catch (error) {
      log.error(`Ignoring settings: ${(error as Error).message}`);
    }
  });
  connection.onShutdown(() => engine.dispose());
  // Restores that a crash interrupted are finished or undone before any request is served (the
  // client sends none before this answer); storing their safety copies continues afterwards.
  b.restore.startupReport = await b.restore.recover({ deferSafety: true });
  return {
    capabilities: { textDocumentSync: TextDocumentSyncKind.None },
    serverInfo: { name: 'berth', version: '' },
  };
});

connection.onInitialized(() => {
  // performance.now() counts from the process's own start, so this includes Node's startup.
  readyMs = Math.round(performance.now());
  log.info(`Berth backend ready (pid ${process.pid}) in ${readyMs} ms; state in ${backend?.stateDir ?? '?'}`);
  // Puts back workloads a crashed capture left paused or stopped, and sweeps temp leftovers.
  void backend?.snapshots.recover();
  if (backend) void finishStartupRecovery(connection, backend);
});

connection.listen();

function settingsFrom(raw: unknown): BackendSettings {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const dockerHost = str(o.dockerHost);
  const stateDir = str(o.stateDir);
  const helperImage = str(o.helperImage);
  return { ...(dockerHost ? { dockerHost } : {}), ...(stateDir ? { stateDir } : {}), ...(helperImage ? { helperImage } : {}) };
}

function configureL10n(options: BerthInitializationOptions): void {
  if (!options.l10nBundle) return;
  try {
    l10n.config({ contents: JSON.parse(readFileSync(options.l10nBundle, 'utf8')) as Record<string, string> });
  } catch (error) {
    log.warn(`Cannot load the l10n bundle ${options.l10nBundle}: ${(error as Error).message}`);
  }
}
