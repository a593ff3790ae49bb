// Runs one hook inside its container through the engine's exec (docs/consistency.md). The hook
// is started by hook-run.sh, which reports its PID first, so a hook that outlives its timeout (or
// its cancelled operation) can be stopped by hook-stop.sh: TERM to its process group (an exec'd
// process leads its own session and group, so children such as pg_dump go too), KILL 5 s later.
// Without /bin/sh in the image an argv hook runs directly, and a timed-out one can only be
// abandoned (said in the outcome). Output is bounded (output.ts) and goes to the log at the end.
import * as l10n from '@vscode/l10n';
import type { HookEvent, HookOutcome } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { BerthError, errorMessage } from '../errors';
import type { Log } from '../log';
import type { HookCommand, WorkloadHooks } from './labels';
import { OutputTail, PidLineSink } from './output';
import HOOK_RUN from './hook-run.sh';
import HOOK_STOP from './hook-stop.sh';

/** The two shell programs, for their unit tests. */
export const HOOK_SCRIPTS = { run: HOOK_RUN, stop: HOOK_STOP } as const;

/** The container a hook runs in. */
export interface HookTarget {
  readonly containerId: string;
  /** Identity key, for outcomes and the log. */
  readonly key: string;
  /** Container name, for messages. */
  readonly name: string;
}

export interface RunHookOptions {
  readonly log: Log;
  /** The operation's cancel: stops the hook (a post-hook gets none: it always runs to its end). */
  readonly signal?: AbortSignal;
  /** Overrides the label's timeout (tests). */
  readonly timeoutMs?: number;
}

/** Runs the hook for `event`, if the workload declares one; undefined when it declares none. */
export async function runHook(engine: Engine, target: HookTarget, event: HookEvent, hooks: WorkloadHooks, options: RunHookOptions): Promise<HookOutcome | undefined> {
  const command = hooks.commands[event];
  if (!command) return undefined;
  const began = Date.now();
  const base = { event, workload: target.key };
  const done = (status: HookOutcome['status'], extra: Partial<HookOutcome> = {}): HookOutcome => ({ ...base, status, durationMs: Date.now() - began, output: '', omittedBytes: 0, ...extra });
  const log = options.log;
  let details;
  try {
    details = await engine.inspectContainer(target.containerId, AbortSignal.timeout(60_000));
  } catch (error) {
    return report(log, target, command, done('failed', { message: errorMessage(error) }));
  }
  // The engine cannot start a process in a stopped container, and an exec into a paused one
  // hangs in its frozen cgroup (and wedges dockerd 20.10): nothing runs, and it is said.
  if (!details.State.Running || details.State.Paused) {
    const why = details.State.Paused ? l10n.t('{0} is paused', target.name) : l10n.t('{0} is not running', target.name);
    return report(log, target, command, done('skipped', { message: l10n.t('not run: {0}', why) }));
  }
  const shell = await hasShell(engine, target.containerId);
  if (command.shell && !shell) {
    return report(log, target, command, done('failed', { message: l10n.t('the hook is a string, which is run by /bin/sh -c, and {0} has no /bin/sh; give it as a JSON array', target.name) }));
  }
  const cmd = shell ? ['/bin/sh', '-c', HOOK_RUN, 'berth-hook', ...command.argv] : [...command.argv];
  const tail = new OutputTail();
  const stdout = shell ? new PidLineSink(tail) : tail.sink();
  const timeoutMs = options.timeoutMs ?? hooks.timeoutMs;
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timer, options.signal]) : timer;
  log.info(l10n.t('[hook {0} {1}] running {2}', event, target.key, command.text.slice(0, 200)));
  try {
    const result = await engine.exec(target.containerId, { cmd, stdout, stderr: tail.sink(), signal });
    const output = { output: tail.text(), omittedBytes: tail.omitted };
    if (result.exitCode === 0) return report(log, target, command, done('ok', { exitCode: 0, ...output }));
    // 126/127: the shell could not find or run the program.
    return report(log, target, command, done('failed', { exitCode: result.exitCode, ...output, message: l10n.t('it exited with code {0}', result.exitCode) }));
  } catch (error) {
    const output = { output: tail.text(), omittedBytes: tail.omitted };
    if (!signal.aborted) return report(log, target, command, done('failed', { ...output, message: errorMessage(error) }));
    const timedOut = timer.aborted;
    const pid = stdout instanceof PidLineSink ? stdout.pid : undefined;
    const stopped = pid !== undefined ? await stopHook(engine, target.containerId, pid) : false;
    const left = stopped ? l10n.t('it was stopped') : l10n.t('it could not be stopped and may still be running in {0}', target.name);
    return report(
      log,
      target,
      command,
      timedOut
        ? done('timed-out', { ...output, message: l10n.t('it did not finish within {0} s; {1}', Math.round(timeoutMs / 1000), left) })
        : done('cancelled', { ...output, message: l10n.t('the operation was cancelled; {0}', left) }),
    );
  }
}

async function hasShell(engine: Engine, containerId: string): Promise<boolean> {
  try {
    await engine.statPath(containerId, '/bin/sh', AbortSignal.timeout(30_000));
    return true;
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') return false;
    throw error;
  }
}

async function stopHook(engine: Engine, containerId: string, pid: number): Promise<boolean> {
  try {
    await engine.exec(containerId, { cmd: ['/bin/sh', '-c', HOOK_STOP, 'berth-hook-stop', String(pid)], signal: AbortSignal.timeout(30_000), maxOutputBytes: 4096 });
    return true;
  } catch {
    return false;
  }
}

/** The outcome to the log: a line for the result, then the kept output, line by line. */
function report(log: Log, target: HookTarget, command: HookCommand, outcome: HookOutcome): HookOutcome {
  const prefix = `[hook ${outcome.event} ${target.key}]`;
  const lines = outcome.output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (outcome.omittedBytes > 0) log.info(`${prefix} ${l10n.t('({0} bytes of earlier output not kept)', outcome.omittedBytes)}`);
  for (const line of lines) log.info(`${prefix} ${line}`);
  const summary = `${prefix} ${outcomeText(outcome)} (${(outcome.durationMs / 1000).toFixed(1)} s): ${command.text.slice(0, 200)}`;
  if (outcome.status === 'ok' || outcome.status === 'skipped') log.info(summary);
  else log.warn(summary);
  return outcome;
}

export function outcomeText(outcome: HookOutcome): string {
  switch (outcome.status) {
    case 'ok':
      return l10n.t('succeeded');
    case 'skipped':
      return outcome.message ?? l10n.t('skipped');
    default:
      return l10n.t('failed: {0}', outcome.message ?? outcome.status);
  }
}
