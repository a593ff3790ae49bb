import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { echo, quoted } from './echo';
import { BusyError, CancelledError } from './errors';
import { fsyncDir, withPath } from './state/atomicFile';
import { processStartTimeSync } from './state/processOwner';

/**
 * Cross-process locks under the state directory, so the extension's backend and a `berth` CLI
 * running at the same time exclude each other.
 *
 * A lock is a file created with O_EXCL holding its owner: PID, the process's start time (from
 * /proc, so a recycled PID is not mistaken for the owner), host, operation and a random token.
 * A lock whose owner is gone is stale and is taken over, but only under a short-lived "breaker"
 * lock and after re-reading that the stale owner is still the one judged dead, so two processes
 * breaking the same stale lock can never both win, nor break a fresh one.
 *
 * Scopes: `workload` for every mutating operation on a workload (install, rollback, remove,
 * restore, capture); `workspace` for workspace export/import, which must not block lifecycle
 * operations.
 */
export type LockScope = 'workload' | 'workspace';

export interface LockOwner {
  readonly pid: number;
  readonly startTime: string;
  readonly host: string;
  readonly operation: string;
  readonly key: string;
  readonly token: string;
  readonly acquiredAt: string;
}

export interface HeldLock {
  readonly owner: LockOwner;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Wait for the holder instead of failing with BUSY at once. */
  readonly wait?: boolean;
  readonly signal?: AbortSignal;
  /** Poll interval while waiting; default 100 ms. */
  readonly pollMs?: number;
}

export function lockPath(stateDir: string, scope: LockScope, key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return join(stateDir, 'locks', `${scope}-${digest}.lock`);
}

export async function acquireLock(stateDir: string, scope: LockScope, key: string, operation: string, options: AcquireOptions = {}): Promise<HeldLock> {
  const path = lockPath(stateDir, scope, key);
  await mkdir(join(stateDir, 'locks'), { recursive: true });
  const owner: LockOwner = {
    pid: process.pid,
    startTime: processStartTimeSync(process.pid),
    host: hostname(),
    operation,
    key,
    token: randomBytes(12).toString('hex'),
    acquiredAt: new Date().toISOString(),
  };
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError();
    if (await tryCreate(path, owner)) return heldLock(path, owner);
    const holder = await readOwner(path);
    if (holder === 'missing') continue;
    if (holder !== 'corrupt' && (await isAlive(holder))) {
      if (!options.wait) throw busyError(key, holder);
    } else if (await breakStale(path, holder)) {
      continue;
    }
    await delay(options.pollMs ?? 100, options.signal);
  }
}

/** The current holder of a lock, if a live process holds it. */
export async function lockHolder(stateDir: string, scope: LockScope, key: string): Promise<LockOwner | undefined> {
  const holder = await readOwner(lockPath(stateDir, scope, key));
  if (holder === 'missing' || holder === 'corrupt') return undefined;
  return (await isAlive(holder)) ? holder : undefined;
}

/**
 * BUSY naming who holds the workload: the operation in words, its process and since when, e.g.
 * "container:web is busy: a snapshot capture (PID 4242, started 2025-…) holds it." `data.detail`
 * is the operation's name as the lock records it (`capture`, `install`, …).
 */
export function busyError(key: string, holder: LockOwner): BusyError {
  if (holder.pid <= 0) {
    // A lock file so new that its owner is still being written.
    return new BusyError(l10n.t('{0} is busy: another operation is just starting on it. Try again when it has finished.', echo(key)), { detail: holder.operation });
  }
  const process_ = holder.host === hostname() ? l10n.t('PID {0}', holder.pid) : l10n.t('PID {0} on {1}', holder.pid, echo(holder.host));
  return new BusyError(
    l10n.t('{0} is busy: {1} ({2}, started {3}) holds it. Try again when it has finished.', echo(key), operationInWords(holder.operation), process_, holder.acquiredAt),
    { detail: holder.operation },
  );
}

/** The lock's operation name as the user knows the operation. */
export function operationInWords(operation: string): string {
  switch (operation) {
    case 'capture':
      return l10n.t('a snapshot capture');
    case 'restore':
      return l10n.t('a restore');
    case 'install':
      return l10n.t('a plugin install');
    case 'rollback':
      return l10n.t('a plugin roll-back');
    case 'remove':
      return l10n.t('a plugin removal');
    case 'sweep':
      return l10n.t('a plugin sweep');
    case 'snapshot-recovery':
      return l10n.t('the recovery of an interrupted capture');
    case 'restore-recovery':
      return l10n.t('the recovery of an interrupted restore');
    case 'workspace export':
      return l10n.t('a workspace export');
    case 'workspace import':
      return l10n.t('a workspace import');
    default:
      return l10n.t('the operation {0}', quoted(operation));
  }
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
    await handle.sync();
  } catch (error) {
    // A full disk takes the create but not the owner: an empty lock file would look like a lock
    // being written for 2 s and then be broken by the next caller. Remove it, and name the file
    // (write errors carry no path).
    await handle.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined);
    throw withPath(error, path);
  }
  await handle.close();
  return true;
}

function heldLock(path: string, owner: LockOwner): HeldLock {
  let released = false;
  return {
    owner,
    release: async () => {
      if (released) return;
      released = true;
      // Remove only our own lock: if it was (wrongly) broken and re-taken, leave the new one.
      const current = await readOwner(path);
      if (current !== 'missing' && current !== 'corrupt' && current.token === owner.token) {
        await rm(path, { force: true });
      }
    },
  };
}

async function readOwner(path: string): Promise<LockOwner | 'missing' | 'corrupt'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.startTime === 'string' && typeof v.host === 'string' && typeof v.token === 'string' && typeof v.operation === 'string') {
      return v as LockOwner;
    }
  } catch {
    // fall through
  }
  // A lock file being written right now is briefly empty; treat it as corrupt only when old.
  try {
    const info = await stat(path);
    if (Date.now() - info.mtimeMs < 2000) return { pid: -1, startTime: '', host: hostname(), operation: 'starting', key: '', token: 'young', acquiredAt: '' } as LockOwner;
  } catch {
    return 'missing';
  }
  return 'corrupt';
}

/** Alive means: same host and the same process (PID and start time) still exists. */
async function isAlive(owner: LockOwner): Promise<boolean> {
  if (owner.token === 'young') return true;
  if (owner.host !== hostname()) return true; // Cannot judge another host's process: never break it.
  if (owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStartTimeSync(owner.pid);
  return start === owner.startTime;
}

async function breakStale(path: string, judged: LockOwner | 'corrupt'): Promise<boolean> {
  const breaker = `${path}.break`;
  const me: LockOwner = { pid: process.pid, startTime: processStartTimeSync(process.pid), host: hostname(), operation: 'break-stale-lock', key: path, token: randomBytes(12).toString('hex'), acquiredAt: new Date().toISOString() };
  if (!(await tryCreate(breaker, me))) {
    const other = await readOwner(breaker);
    if (other !== 'missing' && (other === 'corrupt' || !(await isAlive(other)))) {
      await rm(breaker, { force: true });
    }
    return false;
  }
  try {
    const now = await readOwner(path);
    const same = now === 'corrupt' ? judged === 'corrupt' : now !== 'missing' && judged !== 'corrupt' && now.token === judged.token;
    if (!same) return true;
    const tomb = `${path}.stale-${me.token}`;
    await rename(path, tomb);
    await rm(tomb, { force: true });
    await fsyncDir(join(path, '..'));
    return true;
  } finally {
    await rm(breaker, { force: true });
  }
}


/**
 * Waits `ms` or until cancelled. The abort listener is removed when the time is up: the wait loop
 * calls this many times with one signal, and each forgotten listener stayed on it
 * (MaxListenersExceededWarning after ten polls).
 */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
