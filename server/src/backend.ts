import * as l10n from '@vscode/l10n';
import type { EngineStatus, RecoveryReport } from '../../protocol/src';
import { echo } from './echo';
import type { Engine } from './engine/engine';
import { DEFAULT_ENGINE, Engines } from './engine/engines';
import { DEFAULT_HELPER_IMAGE, PluginService } from './install/pluginService';
import { nullLog, type Log } from './log';
import { mergeRecoveryReports } from './restore/recoveryReport';
import { RestoreService } from './restore/restoreService';
import { SnapshotService } from './snapshots/snapshotService';
import { clockFrom, type Clock } from './clock';
import { ScheduleService, type ScheduleSources } from './schedules/scheduleService';
import { snapshotTaker } from './schedules/taker';
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
  /** `berth.schedules` as written (VS Code only; the CLI reads the schedules file alone). */
  readonly schedules?: unknown;
}

export interface BackendOptions {
  readonly settings: BackendSettings;
  /** DOCKER_HOST, BERTH_STATE_DIR, the crash seams, …; process.env when not given. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where every service logs: the client's log channel over RPC, stderr in the CLI. */
  readonly log?: Log;
}

/** What the background half of the start-up recovery tells the process that runs it. */
export interface StartupListener {
  /** The plugin sweep recovered or removed something in this workload. */
  pluginsChanged?(workloadId: string): void;
  /** Deferred safety copies were stored; the report covers the whole start-up recovery. */
  recovered?(report: RecoveryReport): void;
}

/**
 * The composition root: builds every service, each with its logger, from the settings and the
 * environment, and owns the one start-up path. The RPC server (server.ts) and the CLI
 * (cli/src/cli.ts) each make one and run the same code. Holds no RPC or CLI types.
 *
 * Engines are held by name (engine/engines.ts); today only DEFAULT_ENGINE is configured, and
 * every service asks for it through `engine()`.
 */
export class Backend {
  private readonly log: Log;
  private readonly engines: Engines;
  readonly workloads: WorkloadService;
  readonly workspace: WorkspaceService;
  readonly plugins: PluginService;
  readonly snapshots: SnapshotService;
  readonly restore: RestoreService;
  readonly schedules: ScheduleService;
  /** The clock schedules and retention count from (BERTH_CLOCK_NOW pins it for tests). */
  readonly now: Clock;
  stateDir: string;
  private settings: BackendSettings;
  private readonly env: NodeJS.ProcessEnv;
  /** What the start-up recovery did to restores, for berth/recovery/startup and `berth recover`. */
  private startupReport: RecoveryReport | undefined;

  constructor(options: BackendOptions) {
    this.settings = options.settings;
    this.env = options.env ?? process.env;
    this.log = options.log ?? nullLog;
    const env = this.env;
    this.stateDir = resolveStateDir(this.settings.stateDir, env);
    this.engines = new Engines(env);
    this.engines.configure(DEFAULT_ENGINE, this.settings.dockerHost);
    const engine = () => this.engine();
    this.workloads = new WorkloadService(engine);
    this.workspace = new WorkspaceService(engine, this.workloads, () => this.stateDir);
    this.plugins = new PluginService(
      engine,
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
      this.log,
    );
    this.now = clockFrom(env);
    this.snapshots = new SnapshotService(this, this.log);
    this.restore = new RestoreService(this, env, this.log);
    const stateDir = () => this.stateDir;
    this.schedules = new ScheduleService({
      // The state directory can change with the settings; the service reads it at each use.
      get stateDir() {
        return stateDir();
      },
      now: () => this.now(),
      log: this.log,
      taker: snapshotTaker(this.snapshots),
    });
  }

  /** Where schedules come from: the setting (VS Code) and the CLI's file, as one union. */
  scheduleSources(): ScheduleSources {
    return { settings: this.settings.schedules, file: true };
  }

  /** The engine for the configured endpoint; throws the endpoint's error when it is invalid. */
  engine(): Engine {
    return this.engines.get(DEFAULT_ENGINE);
  }

  /**
   * The one start-up path: the RPC server runs it before it answers `initialize` (so before
   * any request is served), the CLI before every command. In order:
   * 1. temp files of atomic writes whose writer died are removed (state/tempSweep.ts);
   * 2. snapshots: workloads a crashed capture left paused or stopped are put back, temp folders
   *    and abandoned objects of dead operations removed, old catalog records migrated;
   * 3. restores a crash interrupted are finished or undone: volumes settled, workloads started.
   *    Their safety copies (which read all the old data) wait for `finishRecovery`.
   * With nothing to recover it reads directories and makes no engine call, so a command that
   * needs no engine works without one (test/unit/startup.test.ts). Never throws: problems are
   * logged and in the report.
   */
  async recoverAtStartup(): Promise<RecoveryReport> {
    await this.sweepTempFiles();
    await this.snapshots.recover();
    this.startupReport = await this.restore.recover({ deferSafety: true });
    return this.startupReport;
  }

  /**
   * Stores the safety copies the start-up recovery deferred (nothing to do, and no engine call,
   * when it deferred none). The server runs it in the background once it serves; the CLI before
   * a command that changes workloads. Returns the report of the whole start-up recovery when it
   * did something.
   */
  async finishRecovery(): Promise<RecoveryReport | undefined> {
    if (!this.startupReport?.restores.some((r) => r.outcome === 'pending')) return undefined;
    const report = await this.restore.recover();
    this.startupReport = mergeRecoveryReports(this.startupReport, report);
    return this.startupReport;
  }

  /**
   * The background half of the server's start-up, run once it serves: `finishRecovery`, and
   * meanwhile the plugin sweep of the running workloads this state directory has operated on
   * (install/sweeper.ts; no engine call when there are none). Requests are served meanwhile: a
   * workload being swept answers BUSY like any other locked one. Never throws.
   */
  async recoverInBackground(listener: StartupListener = {}): Promise<void> {
    const restores = this.finishRecovery().then((report) => {
      if (report?.didSomething) listener.recovered?.(report);
    });
    const plugins = this.plugins.sweepAtStartup((workloadId) => listener.pluginsChanged?.(workloadId));
    await Promise.all([restores, plugins]);
  }

  /** What the start-up recovery did to restores (undefined before it ran). */
  startupRecovery(): RecoveryReport | undefined {
    return this.startupReport;
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
    return this.engines.endpointUrl(DEFAULT_ENGINE);
  }

  /** Applies new settings; returns true when the engine endpoint changed. */
  updateSettings(settings: BackendSettings): boolean {
    this.settings = settings;
    this.stateDir = resolveStateDir(settings.stateDir, this.env);
    return this.engines.configure(DEFAULT_ENGINE, settings.dockerHost);
  }

  engineStatus(signal?: AbortSignal): Promise<EngineStatus> {
    return this.engines.status(DEFAULT_ENGINE, signal);
  }

  /**
   * Removes temp files of atomic writes whose writer died (state/tempSweep.ts), before recovery
   * reads anything. Never throws; skipped on a state directory that takes no writes.
   */
  private async sweepTempFiles(): Promise<void> {
    try {
      if (!(await stateDirWritable(this.stateDir))) return;
      for (const path of await sweepTempFiles(this.stateDir)) this.log.info(`Removed ${path}, left by an interrupted write`);
    } catch (error) {
      this.log.warn(l10n.t('Cannot sweep interrupted writes in {0}: {1}', echo(this.stateDir), fsErrorMessage(error, this.stateDir)));
    }
  }
}
