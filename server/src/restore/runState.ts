// Taking the workload down for the swap and giving it back its prior run state.
import * as l10n from '@vscode/l10n';
import type { PriorRunState } from '../../../protocol/src';
import type { ContainerDetails, Engine } from '../engine/engine';
import { BerthError, ConflictError } from '../errors';

/** A container in a restart loop is meant to run, so "restarting" counts as running. */
export function priorOf(details: ContainerDetails): PriorRunState {
  if (details.State.Paused) return 'paused';
  if (details.State.Running || details.State.Restarting || details.State.Status === 'restarting') return 'running';
  return 'stopped';
}

/**
 * Stops the container and makes sure it is down. A stop through the API counts as a manual
 * stop, so the engine's restart policy leaves it down until it is started again. Returns the
 * container's last StartedAt, which the swap compares against to detect a start by someone else.
 */
export async function stopForSwap(engine: Engine, containerId: string, prior: PriorRunState, signal?: AbortSignal): Promise<ContainerDetails> {
  if (prior === 'paused') await engine.unpauseContainer(containerId, signal);
  for (let attempt = 0; attempt < 3; attempt++) {
    await engine.stopContainer(containerId, signal);
    const details = await engine.inspectContainer(containerId, signal);
    if (!details.State.Running && !details.State.Restarting) return details;
  }
  throw new ConflictError(l10n.t('The container {0} keeps running after being stopped (something restarts it), so its volumes cannot be swapped.', containerId.slice(0, 12)));
}

/**
 * Finishes a stop that a dead restore may have left under way. The engine carries out a stop
 * after its caller dies, and until the process exits the container still inspects as running,
 * so a recovery that only started "what is not running" would watch the stop land afterwards
 * and leave the workload down. Stopping again waits for that stop (or does it), and the start
 * that follows is then real. Returns false when the container is gone.
 */
export async function finishInterruptedStop(engine: Engine, containerId: string): Promise<boolean> {
  const signal = AbortSignal.timeout(120_000);
  try {
    const details = await engine.inspectContainer(containerId, signal);
    if (!details.State.Running && !details.State.Restarting) return true;
    if (details.State.Paused) await engine.unpauseContainer(containerId, signal);
    await engine.stopContainer(containerId, signal);
    return true;
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') return false;
    throw error;
  }
}

export type StartOutcome = 'started' | 'not-needed' | 'removed';

/** Starts the container again when it ran before (and pauses it again when it was paused). */
export async function startToPrior(engine: Engine, containerId: string, prior: PriorRunState): Promise<StartOutcome> {
  if (prior === 'stopped') return 'not-needed';
  const signal = AbortSignal.timeout(120_000);
  try {
    const details = await engine.inspectContainer(containerId, signal);
    if (!details.State.Running) await engine.startContainer(containerId, signal);
    if (prior === 'paused' && !details.State.Paused) await engine.pauseContainer(containerId, signal);
    return 'started';
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') return 'removed';
    throw error;
  }
}

/** Whether the container is still the one that was stopped, not started by anyone since. */
export async function stillDown(engine: Engine, containerId: string, stoppedStartedAt: string | undefined): Promise<'down' | 'started' | 'removed'> {
  try {
    const details = await engine.inspectContainer(containerId, AbortSignal.timeout(60_000));
    if (details.State.Running || details.State.Restarting) return 'started';
    if (stoppedStartedAt !== undefined && details.State.StartedAt !== stoppedStartedAt) return 'started';
    return 'down';
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') return 'removed';
    throw error;
  }
}

/** The mounts the plan relies on are still there with the same sources (not re-configured). */
export function mountsUnchanged(details: ContainerDetails, volumes: readonly { target: string; type: string; source: string }[]): string[] {
  const problems: string[] = [];
  for (const v of volumes) {
    const m = details.Mounts.find((x) => x.Destination === v.target);
    const source = m ? (m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source) : undefined;
    if (!m || m.Type !== v.type || source !== v.source || !m.RW) problems.push(l10n.t('the mount at {0} changed', v.target));
  }
  return problems;
}
