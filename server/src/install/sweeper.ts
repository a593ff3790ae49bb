import { hostname } from 'node:os';
import { ErrorCodes } from '../../../protocol/src';
import { BerthError, errorMessage } from '../errors';
import { detachedContext } from '../operation';
import type { PluginDeps } from './context';
import { sweepPlugins } from './maintenance';
import { HELPER_LABEL, NoShellError } from './runner';
import { knownWorkloads } from './sources';

/**
 * The backend's start-up sweep: recovers interrupted plugin operations and deletes leftovers
 * (plugin.sh `sweep`) in every running workload whose plugins this state directory has operated
 * on (recorded before the first mutating step of any operation, so a crashed first install
 * counts). Other containers on the engine are left alone, and with no such record the engine is
 * not even asked: the sweep before every operation covers the rest. One workload at a time,
 * never waiting for a lock (a busy workload is skipped: its owner is alive), never with a
 * helper container. Then removes helper containers whose backend on this host has died.
 * Reports each workload that changed.
 */
export async function sweepAtStartup(deps: PluginDeps, onChanged: (workloadId: string) => void): Promise<void> {
  const known = await knownWorkloads(deps.stateDir());
  if (known.size === 0) return;
  const signal = AbortSignal.timeout(STARTUP_SWEEP_MS);
  let workloads;
  try {
    workloads = (await deps.workloads.list(false, signal)).filter((w) => known.has(w.identity.key));
  } catch (error) {
    deps.log.warn(`Plugin sweep at start-up skipped: ${errorMessage(error)}`);
    return;
  }
  for (const workload of workloads) {
    if (signal.aborted) break;
    try {
      const result = await sweepPlugins(deps, { workload: workload.id, allowHelper: false }, detachedContext(signal));
      if (result.recovered.length > 0 || result.removed.length > 0) {
        deps.log.info(`Plugin sweep of ${workload.name} (${result.root}): recovered [${result.recovered.join(', ')}], removed [${result.removed.join(', ')}]`);
        onChanged(workload.id);
      }
    } catch (error) {
      if (error instanceof NoShellError) continue;
      if (error instanceof BerthError && (error.code === ErrorCodes.Busy || error.code === ErrorCodes.Rejected || error.code === ErrorCodes.Conflict)) continue;
      deps.log.warn(`Plugin sweep of ${workload.name} failed: ${errorMessage(error)}`);
    }
  }
  await removeDeadHelpers(deps, signal);
}

/** The start-up sweep gives up after this long (a hung engine must not hold it forever). */
const STARTUP_SWEEP_MS = 120_000;

async function removeDeadHelpers(deps: PluginDeps, signal: AbortSignal): Promise<void> {
  try {
    const containers = await deps.engine().listContainers(true, signal);
    for (const c of containers) {
      if (c.Labels[HELPER_LABEL] !== 'plugins') continue;
      const [host, pid] = (c.Labels[`${HELPER_LABEL}.owner`] ?? '').split(':');
      if (host !== hostname() || !pid || isAlive(Number(pid))) continue;
      await deps.engine().removeContainer(c.Id);
      deps.log.info(`Removed helper container ${c.Id.slice(0, 12)} left by process ${pid}`);
    }
  } catch (error) {
    deps.log.warn(`Cannot clean up helper containers: ${errorMessage(error)}`);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
