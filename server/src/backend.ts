import type { EngineStatus } from '../../protocol/src';
import { Engine } from './engine/engine';
import { resolveEndpoint, type EngineEndpoint } from './engine/endpoint';
import { DEFAULT_HELPER_IMAGE, PluginService } from './install/pluginService';
import { RestoreService } from './restore/restoreService';
import { SnapshotService } from './snapshots/snapshotService';
import { resolveStateDir } from './state/stateDir';
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
        pluginsRoot: () => this.settings.pluginsRoot?.trim() || env.BERTH_PLUGINS_ROOT?.trim() || undefined,
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
