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
import { objectParams, optionalBoolean, optionalString, requiredString, type Params } from '../params';
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
  const options = (fields: readonly string[], title: string): RequestOptions => ({ fields, title, ...hooks });
  const changed = (workload: string) => notify(connection, PluginsChangedNotification.type, { workload });
  const common = (params: Params, method: string) => ({
    workload: requiredString(params, 'workload', method, 512),
    ...optional('root', optionalString(params, 'root', method, 1024)),
    ...optional('wait', optionalBoolean(params, 'wait', method)),
  });
  const mutating = ['workload', 'root', 'wait'];

  onRequest(
    connection,
    log,
    ListPluginsRequest.type,
    async (raw, ctx) => {
      const method = ListPluginsRequest.method;
      const params = objectParams(raw, method);
      return backend.plugins.list(
        {
          ...optional('workload', optionalString(params, 'workload', method, 512)),
          ...optional('root', optionalString(params, 'root', method, 1024)),
          ...optional('includeEmpty', optionalBoolean(params, 'includeEmpty', method)),
        },
        ctx.signal,
      );
    },
    options(['workload', 'root', 'includeEmpty'], l10n.t('Listing plugins')),
  );

  onRequest(
    connection,
    log,
    InstallPluginRequest.type,
    async (raw, ctx) => {
      const method = InstallPluginRequest.method;
      const params = objectParams(raw, method);
      const request = { ...common(params, method), folder: requiredString(params, 'folder', method, 4096), ...optional('name', optionalString(params, 'name', method, 512)) };
      try {
        return await backend.plugins.install(request, ctx);
      } finally {
        changed(request.workload);
      }
    },
    options([...mutating, 'folder', 'name'], l10n.t('Installing a plugin')),
  );

  onRequest(
    connection,
    log,
    RollbackPluginRequest.type,
    async (raw, ctx) => {
      const method = RollbackPluginRequest.method;
      const params = objectParams(raw, method);
      const request = { ...common(params, method), name: requiredString(params, 'name', method, 512) };
      try {
        return await backend.plugins.rollback(request, ctx);
      } finally {
        changed(request.workload);
      }
    },
    options([...mutating, 'name'], l10n.t('Rolling back a plugin')),
  );

  onRequest(
    connection,
    log,
    RemovePluginRequest.type,
    async (raw, ctx) => {
      const method = RemovePluginRequest.method;
      const params = objectParams(raw, method);
      const request = { ...common(params, method), name: requiredString(params, 'name', method, 512) };
      try {
        return await backend.plugins.remove(request, ctx);
      } finally {
        changed(request.workload);
      }
    },
    options([...mutating, 'name'], l10n.t('Removing a plugin')),
  );

  onRequest(
    connection,
    log,
    SweepPluginsRequest.type,
    async (raw, ctx) => {
      const method = SweepPluginsRequest.method;
      const request = common(objectParams(raw, method), method);
      try {
        return await backend.plugins.sweep(request, ctx);
      } finally {
        changed(request.workload);
      }
    },
    options(mutating, l10n.t('Sweeping plugin leftovers')),
  );
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
