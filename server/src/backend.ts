import * as l10n from '@vscode/l10n';
import type { EngineStatus } from '../../protocol/src';
import { echo } from './echo';
import { Engine } from './engine/engine';
import { resolveEndpoint, type EngineEndpoint } from './engine/endpoint';
import { DEFAULT_HELPER_IMAGE, PluginService } from './install/pluginService';
import { RestoreService } from './restore/restoreService';
import { SnapshotService } from './snapshots/snapshotService';
import type { Log } from './log';
import { fsErrorMessage } from './state/fsErrors';
import { resolveStateDir } from './state/stateDir';
import { sweepTempFiles } from './state/tempSweep';
import { stateDirWritable } from './state/folderChecks';
import { WorkloadService } from './workloads/workloadService';
import { WorkspaceService } from './workspace/workspaceService';

export interface BackendSettings {
  readonly dockerHost?: string;
  readonly stateDir?: string;
  /** `berth.plugins.root`; BERTH_PLUGINS_ROOT when unset; a workload's label wins over both. */
  readonly pluginsRoot?: string;
  /** `berth.helperImage`; BERTH_HELPER_IMAGE when unset. */
  readonly helperImage?: string;
}

/**
 * The backend's services and their configuration, shared by the RPC server and the CLI so both
 * run the same code. Holds no RPC or CLI types.
 */
export class Backend {
  private currentEngine: Engine | undefined;
  private endpointError: Error | undefined;
  readonly workloads: WorkloadService;
  readonly workspace: WorkspaceService;
  readonly plugins: PluginService;
  readonly snapshots: SnapshotService;
  readonly restore: RestoreService;
  stateDir: string;

  constructor(private settings: BackendSettings, private readonly env: NodeJS.ProcessEnv = process.env) {
    this.stateDir = resolveStateDir(settings.stateDir, env);
    this.workloads = new WorkloadService(() => this.engine());
    this.workspace = new WorkspaceService(() => this.engine(), this.workloads, () => this.stateDir);
    this.plugins = new PluginService(
      () => this.engine(),
      this.workloads,
      {
        stateDir: () => this.stateDir,
        pluginsRoot: () => {
          const setting = this.settings.pluginsRoot?.trim();
          if (setting) return { value: setting, source: 'setting', from: l10n.t('the berth.plugins.root setting') };
          const variable = env.BERTH_PLUGINS_ROOT?.trim();
          return variable ? { value: variable, source: 'environment', from: l10n.t('the environment variable BERTH_PLUGINS_ROOT') } : undefined;
        },
        helperImage: () => this.settings.helperImage?.trim() || env.BERTH_HELPER_IMAGE?.trim() || DEFAULT_HELPER_IMAGE,
      },
      env,
    );
    this.snapshots = new SnapshotService(this);
    this.restore = new RestoreService(this, env);
    this.configureEngine();
  }

  /** The engine for the configured endpoint; throws the endpoint's error when it is invalid. */
  engine(): Engine {
    if (this.endpointError) throw this.endpointError;
    if (!this.currentEngine) throw new Error('engine not configured');
    return this.currentEngine;
  }

  /**
   * Removes temp files of atomic writes whose writer died (state/tempSweep.ts); run at every
   * CLI start and backend start, before recovery reads anything. Never throws; skipped on a
   * state directory that takes no writes.
   */
  async sweepTempFiles(log: Log): Promise<void> {
    try {
      if (!(await stateDirWritable(this.stateDir))) return;
      for (const path of await sweepTempFiles(this.stateDir)) log.info(`Removed ${path}, left by an interrupted write`);
    } catch (error) {
      log.warn(l10n.t('Cannot sweep interrupted writes in {0}: {1}', echo(this.stateDir), fsErrorMessage(error, this.stateDir)));
    }
  }

  settleWorkload(key: string): Promise<void> {
    return this.restore.settle(key);
  }

  /** The image of restore helper containers: the setting, else BERTH_HELPER_IMAGE, else none (the workload's own). */
  helperImage(): string | undefined {
    return this.settings.helperImage?.trim() || this.env.BERTH_HELPER_IMAGE?.trim() || undefined;
  }

  /** The endpoint as configured, even when invalid (for messages). */
  endpointUrl(): string {
    return this.currentEngine?.endpoint.url ?? this.settings.dockerHost ?? this.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  }

  /** Applies new settings; returns true when the engine endpoint changed. */
  updateSettings(settings: BackendSettings): boolean {
    const before = this.currentEngine?.endpoint.url;
    this.settings = settings;
    this.stateDir = resolveStateDir(settings.stateDir, this.env);
    this.configureEngine();
    return this.currentEngine?.endpoint.url !== before || this.endpointError !== undefined;
  }

  async engineStatus(signal?: AbortSignal): Promise<EngineStatus> {
    if (this.endpointError) {
      const source = this.settings.dockerHost?.trim() ? 'setting' : this.env.DOCKER_HOST?.trim() ? 'DOCKER_HOST' : 'default';
      return { reachable: false, endpoint: this.endpointUrl(), endpointSource: source, error: this.endpointError.message };
    }
    return this.engine().status(signal);
  }

  private configureEngine(): void {
    let endpoint: EngineEndpoint;
    try {
      endpoint = resolveEndpoint(this.settings.dockerHost, this.env);
    } catch (error) {
      this.currentEngine = undefined;
      this.endpointError = error as Error;
      return;
    }
    this.endpointError = undefined;
    if (this.currentEngine?.endpoint.url === endpoint.url) return;
    this.currentEngine = new Engine(endpoint);
  }
}
