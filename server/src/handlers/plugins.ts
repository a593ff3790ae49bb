import * as l10n from '@vscode/l10n';
import type { Connection } from 'vscode-languageserver/node';
import {
  InstallPluginRequest,
  ListPluginsRequest,
  PluginsChangedNotification,
  RemovePluginRequest,
  RollbackPluginRequest,
  SweepPluginsRequest,
} from '../../../protocol/src';
import type { Backend } from '../backend';
import type { Log } from '../log';
import { notify, onRequest, type RequestOptions } from '../rpc';

export interface PluginHandlerHooks {
  readonly onEngineUnreachable?: () => void;
  readonly stateDir?: () => string;
}

/**
 * `berth/plugins/*`: list, install, rollback, remove, sweep. Long operations report progress by
 * step through the work-done token and stop on cancellation (install: until the archive has
 * been sent, which is before the swap). After each mutation clients hear `berth/plugins/didChange`
 * (server.ts sends it too when the start-up sweep changed a workload).
 */
export function registerPluginHandlers(connection: Connection, log: Log, backend: Backend, hooks: PluginHandlerHooks = {}): void {
  const options = (title: string): RequestOptions => ({ title, ...hooks });
  const changed = (workload: string) => notify(connection, PluginsChangedNotification.type, { workload });

  onRequest(
    connection,
    log,
    ListPluginsRequest,
    async (params, ctx) => backend.plugins.list(params, ctx.signal),
    options(l10n.t('Listing plugins')),
  );

  onRequest(
    connection,
    log,
    InstallPluginRequest,
    async (params, ctx) => {
      try {
        return await backend.plugins.install(params, ctx);
      } finally {
        changed(params.workload);
      }
    },
    options(l10n.t('Installing a plugin')),
  );

  onRequest(
    connection,
    log,
    RollbackPluginRequest,
    async (params, ctx) => {
      try {
        return await backend.plugins.rollback(params, ctx);
      } finally {
        changed(params.workload);
      }
    },
    options(l10n.t('Rolling back a plugin')),
  );

  onRequest(
    connection,
    log,
    RemovePluginRequest,
    async (params, ctx) => {
      try {
        return await backend.plugins.remove(params, ctx);
      } finally {
        changed(params.workload);
      }
    },
    options(l10n.t('Removing a plugin')),
  );

  onRequest(
    connection,
    log,
    SweepPluginsRequest,
    async (params, ctx) => {
      try {
        return await backend.plugins.sweep(params, ctx);
      } finally {
        changed(params.workload);
      }
    },
    options(l10n.t('Sweeping plugin leftovers')),
  );
}
