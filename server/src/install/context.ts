import * as l10n from '@vscode/l10n';
import type { Workload } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { ConflictError } from '../errors';
import { acquireLock, type HeldLock } from '../locks';
import type { Log } from '../log';
import type { WorkloadService } from '../workloads/workloadService';
import { resolvePluginRoot, type RequestedRoot } from './root';
import { NoShellError, withHelper, type ScriptTarget } from './runner';

/** What the plugin operations need from the backend. */
export interface PluginDeps {
  engine(): Engine;
  stateDir(): string;
  /** The `berth.plugins.root` setting, else BERTH_PLUGINS_ROOT, with its source; undefined means the default. */
  pluginsRoot(): RequestedRoot | undefined;
  /** How messages name a request's own root: the CLI's `--root`, else the RPC param. */
  requestRootFrom?: string;
  helperImage(): string;
  readonly workloads: WorkloadService;
  /** Container IDs known to have no /bin/sh, so their next operation skips the failing exec. */
  readonly noShell: Set<string>;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Log;
}

export interface Target {
  readonly workload: Workload;
  readonly root: string;
}

/** Resolves the workload and its plugin root (input and labels only; its state is not judged). */
export async function resolveTarget(deps: PluginDeps, ref: string, rootOverride: string | undefined, signal: AbortSignal): Promise<Target> {
  const workload = await deps.workloads.resolve(ref, signal);
  const root = resolvePluginRoot(workload, requestedRoot(deps, rootOverride));
  return { workload, root: root.path };
}

export interface LockTargetRequest {
  readonly workload: string;
  readonly root?: string;
  readonly wait?: boolean;
}

/**
 * Resolves the target, takes the workload's lock, and only then judges the workload's state, in
 * this order: a workload another Berth operation holds answers BUSY naming that operation, never
 * a refusal based on a state the other operation caused. A capture pauses the workload; telling
 * the user "it is paused, start it first" would have them unpause it under the capture and make
 * the snapshot inconsistent. The state is read again under the lock, because it may have changed
 * while this caller waited (--wait). Mutating plugin operations need the workload running.
 */
export async function lockRunningTarget(
  deps: PluginDeps,
  request: LockTargetRequest,
  operation: string,
  signal: AbortSignal,
  lockSignal: AbortSignal = signal,
): Promise<{ target: Target; lock: HeldLock }> {
  const target = await resolveTarget(deps, request.workload, request.root, signal);
  const lock = await acquireLock(deps.stateDir(), 'workload', target.workload.identity.key, operation, { wait: request.wait === true, signal: lockSignal });
  try {
    const workload = await deps.workloads.resolve(target.workload.id, signal);
    if (workload.state !== 'running') {
      throw new ConflictError(l10n.t('{0} is {1}, not running; plugins are installed into running containers. Start it first.', workload.name, workload.state), {
        detail: workload.state,
      });
    }
    return { target: { ...target, workload }, lock };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The root the caller asked for, else the setting or BERTH_PLUGINS_ROOT, with where it came from. */
export function requestedRoot(deps: PluginDeps, rootOverride: string | undefined): RequestedRoot | undefined {
  if (rootOverride !== undefined) return { value: rootOverride, source: 'request', from: deps.requestRootFrom ?? l10n.t('the request\'s "root" parameter') };
  return deps.pluginsRoot();
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
