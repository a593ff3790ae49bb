import type {
  InstallPluginResult,
  ListPluginsResult,
  RemovePluginResult,
  RollbackPluginResult,
  SweepPluginsResult,
} from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import type { WorkloadService } from '../workloads/workloadService';
import type { PluginDeps } from './context';
import { installPlugin, type InstallRequest } from './install';
import { listPlugins, type ListRequest } from './list';
import { removePlugin, rollbackPlugin, sweepPlugins, type PluginRefRequest, type SweepRequest } from './maintenance';
import type { RequestedRoot } from './root';
import { sweepAtStartup } from './sweeper';

export interface PluginSettingsSource {
  readonly stateDir: () => string;
  readonly pluginsRoot: () => RequestedRoot | undefined;
  readonly helperImage: () => string;
}

/** The default image of helper containers; it must exist locally (no registry is contacted). */
export const DEFAULT_HELPER_IMAGE = 'busybox:latest';

/**
 * Plugin operations for the RPC handlers and the CLI alike. Holds no RPC or CLI types; every
 * mutating operation takes the workload's cross-process lock.
 */
export class PluginService {
  private readonly deps: PluginDeps;

  constructor(engine: () => Engine, workloads: WorkloadService, settings: PluginSettingsSource, env: NodeJS.ProcessEnv, log: Log) {
    this.deps = {
      engine,
      workloads,
      stateDir: settings.stateDir,
      pluginsRoot: settings.pluginsRoot,
      helperImage: settings.helperImage,
      noShell: new Set<string>(),
      env,
      log,
    };
  }

  /** How messages name a request's own plugin root (the CLI sets "--root"). */
  set requestRootFrom(from: string) {
    this.deps.requestRootFrom = from;
  }

  list(request: ListRequest, signal: AbortSignal): Promise<ListPluginsResult> {
    return listPlugins(this.deps, request, signal);
  }

  install(request: InstallRequest, ctx: OperationContext): Promise<InstallPluginResult> {
    return installPlugin(this.deps, request, ctx);
  }

  rollback(request: PluginRefRequest, ctx: OperationContext): Promise<RollbackPluginResult> {
    return rollbackPlugin(this.deps, request, ctx);
  }

  remove(request: PluginRefRequest, ctx: OperationContext): Promise<RemovePluginResult> {
    return removePlugin(this.deps, request, ctx);
  }

  sweep(request: SweepRequest, ctx: OperationContext): Promise<SweepPluginsResult> {
    return sweepPlugins(this.deps, request, ctx);
  }

  /** The start-up sweep over the running workloads this state directory has operated on (Backend.recoverInBackground). */
  sweepAtStartup(onChanged: (workloadId: string) => void): Promise<void> {
    return sweepAtStartup(this.deps, onChanged);
  }
}
