import type { RecoveryStep, RestoreStep } from '../../../protocol/src';
import { crashPoint } from '../crash';

/**
 * Test seams at the named steps. `crashPoint` SIGKILLs the process when BERTH_CRASH_AT names the
 * step (the crash tests run the real CLI as a child). `beforeStep` lets in-process fault tests do
 * something to the world at an exact step (fill the disk, remove the container, remount a
 * target read-only) and is never set outside tests.
 */
export interface StepHooks {
  beforeStep?(step: RestoreStep | RecoveryStep, detail: { readonly volume?: number }): Promise<void> | void;
}

export async function reachStep(step: RestoreStep | RecoveryStep, hooks: StepHooks | undefined, volume?: number): Promise<void> {
  crashPoint(step);
  await hooks?.beforeStep?.(step, volume === undefined ? {} : { volume });
}
