import type { Step } from '../../protocol/src';

/**
 * The crash-test seam. With BERTH_CRASH_AT=<step> in the environment, the process SIGKILLs
 * itself when it reaches that named step, so tests can prove every step is recoverable. Step
 * names are the same ones the journals, progress messages and logs use: the typed lists in
 * protocol/src/steps.ts, so a misspelt seam does not compile. BERTH_CRASH_AT may name several steps separated by commas; BERTH_CRASH_SKIP=N
 * lets the first N matches pass (to kill at the Nth repetition of a per-volume step).
 * BERTH_CRASH_SIGNAL=SIGSTOP freezes the process at the step instead of killing it: a live
 * operation held at a known point (its lock held, its workload paused), for tests of what other
 * callers see meanwhile; SIGCONT lets it carry on as if nothing happened.
 */
export function crashPoint(step: Step, env: NodeJS.ProcessEnv = process.env): void {
  const at = env.BERTH_CRASH_AT;
  if (!at) return;
  if (!at.split(',').map((s) => s.trim()).includes(step)) return;
  const skip = Number(env.BERTH_CRASH_SKIP ?? '0');
  if (skip > 0) {
    env.BERTH_CRASH_SKIP = String(skip - 1);
    return;
  }
  process.kill(process.pid, env.BERTH_CRASH_SIGNAL === 'SIGSTOP' ? 'SIGSTOP' : 'SIGKILL');
}
