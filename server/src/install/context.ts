import * as l10n from '@vscode/l10n';
import type { Workload } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { ConflictError } from '../errors';
import type { Log } from '../log';
import type { WorkloadService } from '../workloads/workloadService';
import { resolvePluginRoot } from './root';
import { NoShellError, withHelper, type ScriptTarget } from './runner';

/** What the plugin operations need from the backend. */
export interface PluginDeps {
  engine(): Engine;
  stateDir(): string;
  /** The `berth.plugins.root` setting (or BERTH_PLUGINS_ROOT); undefined means the default. */
  pluginsRoot(): string | undefined;
  helperImage(): string;
  readonly workloads: WorkloadService;
  /** Container IDs known to have no /bin/sh, so their next operation skips the failing exec. */
  readonly noShell: Set<string>;
  readonly env: NodeJS.ProcessEnv;
  log: Log;
}

export interface Target {
  readonly workload: Workload;
  readonly root: string;
}

/** Resolves the workload and its plugin root; mutating operations need it running. */
export async function resolveTarget(deps: PluginDeps, ref: string, rootOverride: string | undefined, signal: AbortSignal, needRunning: boolean): Promise<Target> {
  const workload = await deps.workloads.resolve(ref, signal);
  if (needRunning && workload.state !== 'running') {
    throw new ConflictError(l10n.t('{0} is {1}, not running; plugins are installed into running containers. Start it first.', workload.name, workload.state), {
      detail: workload.state,
    });
  }
  const root = resolvePluginRoot(workload, rootOverride ?? deps.pluginsRoot());
  return { workload, root: root.path };
}

/**
 * Runs `fn` with an exec target in the workload; when the workload turns out to have no shell,
 * runs it again in a helper container sharing the plugin root's mount (or refuses, when the
 * root is not on a mount or `allowHelper` is false). The failed exec never started, so nothing
 * was written before the fallback.
 */
export async function runAnywhere<T>(
  deps: PluginDeps,
  target: Target,
  signal: AbortSignal,
  fn: (t: ScriptTarget) => Promise<T>,
  allowHelper = true,
): Promise<{ value: T; via: ScriptTarget['via'] }> {
  const { workload, root } = target;
  if (!deps.noShell.has(workload.id)) {
    try {
      return { value: await fn({ containerId: workload.id, via: 'exec' }), via: 'exec' };
    } catch (error) {
      if (!(error instanceof NoShellError)) throw error;
      deps.noShell.add(workload.id);
      deps.log.info(`${workload.name} has no /bin/sh (${error.detail}); plugin operations use a helper container when the root is on a mount`);
    }
  }
  if (!allowHelper) throw new NoShellError(l10n.t('{0} has no /bin/sh', workload.name));
  const value = await withHelper(deps.engine(), workload, root, { helperImage: deps.helperImage() }, signal, fn);
  return { value, via: 'helper' };
}
