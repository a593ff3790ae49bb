import { hostname } from 'node:os';
import { processStartTimeSync } from '../state/processOwner';

/**
 * Who owns a piece of work in progress (a temp directory, a quiesce journal): PID plus the
 * process's start time, so a recycled PID is not mistaken for the owner, plus the host.
 */
export interface Owner {
  readonly pid: number;
  readonly startTime: string;
  readonly host: string;
}

export async function currentOwner(): Promise<Owner> {
  return { pid: process.pid, startTime: processStartTimeSync(process.pid), host: hostname() };
}

/** Alive means the same process still runs on this host; another host's owner counts as alive. */
export async function ownerAlive(owner: Owner): Promise<boolean> {
  if (owner.host !== hostname()) return true;
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return (processStartTimeSync(owner.pid)) === owner.startTime;
}

/** A file-name tag for an owner: `<pid>-<starttime>`. */
export function ownerTag(owner: Owner): string {
  return `${owner.pid}-${owner.startTime || '0'}`;
}

export function parseOwnerTag(tag: string): Owner | undefined {
  const match = /^(\d+)-(\d+)\./.exec(tag);
  if (!match) return undefined;
  return { pid: Number(match[1]), startTime: match[2] === '0' ? '' : (match[2] ?? ''), host: hostname() };
}

