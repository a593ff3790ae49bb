// Starting and stopping the processes the harness owns. Each one gets its own process group,
// so stopping it also ends what it started (the extension host, the Berth backend, the file
// watcher), and nothing else on the machine is touched.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(command, [...args], { ...options, detached: true });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM to the group, then SIGKILL to whatever is left after `graceMs`; resolves when it is gone. */
export async function stopGroup(pgid: number | undefined, graceMs = 5000): Promise<void> {
  if (pgid === undefined || !groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitFor(() => !groupAlive(pgid), graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (!(await waitFor(() => !groupAlive(pgid), 10_000))) throw new Error(`process group ${pgid} survived SIGKILL`);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
