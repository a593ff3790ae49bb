import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who wrote a temp file, in a form that fits a file name: PID, the process's start time (so a
 * recycled PID is not taken for the writer) and a short tag of the host (a state directory on a
 * shared file system may be written from several machines; another host's process cannot be
 * judged from here).
 */
export interface TempOwner {
  readonly pid: number;
  readonly startTime: string;
  readonly hostTag: string;
}

let own: TempOwner | undefined;

/** This process; read once (the start time of a process never changes). */
export function ownTempOwner(): TempOwner {
  own ??= { pid: process.pid, startTime: processStartTimeSync(process.pid) || '0', hostTag: hostTag() };
  return own;
}

export function hostTag(name: string = hostname()): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 8);
}

/** Whether the owner still runs: same host, same PID, same start time. Another host's counts as alive. */
export function tempOwnerAlive(owner: TempOwner): boolean {
  if (owner.hostTag !== hostTag()) return true;
  if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0) return false;
  if (owner.pid === process.pid) return owner.startTime === ownTempOwner().startTime;
  return processStartTimeSync(owner.pid) === owner.startTime;
}

/** Whether any process has this PID (for names written before the start time was recorded). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat); '' when gone. */
export function processStartTimeSync(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}
