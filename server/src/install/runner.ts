import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import type { Workload } from '../../../protocol/src';
import { PackError } from '../archive/pluginTar';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { OperationFailedError, RejectedError } from '../errors';
import { mountHolding } from './root';
import { scriptCommand, scriptEnv, ScriptExit, ScriptOutput, type ScriptEvent, type ScriptOp } from './script';

/** Where the script runs: the workload itself, or a helper container that mounts its volume. */
export interface ScriptTarget {
  readonly containerId: string;
  readonly via: 'exec' | 'helper';
  readonly user?: string;
}

export interface RunOptions {
  readonly op: ScriptOp;
  readonly root: string;
  readonly args?: readonly string[];
  /**
   * Piped to the script's stdin (the tar) from the exec's start, so the archive is already in
   * the pipe when `tar -x` starts; a script that exits before reading it (no tar, a failure
   * before staging) just leaves the rest unsent.
   */
  readonly stdin?: () => Readable;
  readonly onEvent?: (event: ScriptEvent) => void;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Aborts the exec (read-only operations only: abandoning a mutating script would let it run
   * on without the lock).
   */
  readonly signal?: AbortSignal;
}

export interface ScriptResult {
  readonly exitCode: number;
  readonly events: readonly ScriptEvent[];
  readonly stderr: string;
}

/** The container has no /bin/sh (the exec could not start it); nothing was run or written. */
export class NoShellError extends Error {
  constructor(readonly detail: string) {
    super(`no shell: ${detail}`);
    this.name = 'NoShellError';
  }
}

/** Thrown by `runScript` when reading the plugin folder failed mid-stream; carries what the script reported. */
export class StdinFailedError extends Error {
  constructor(
    readonly source: PackError,
    readonly events: readonly ScriptEvent[],
  ) {
    super(source.message, { cause: source });
    this.name = 'StdinFailedError';
  }
}

/**
 * Runs one operation of the in-container script in one exec. Every `STEP` line passes the
 * backend's crash seam (the script has its own copy of the seam, so both die at the same step)
 * and reaches `onEvent` as it arrives. stdin, when given, is streamed from the start: waiting
 * for the script to ask for it would cost a round trip on every install.
 */
export async function runScript(engine: Engine, target: ScriptTarget, options: RunOptions): Promise<ScriptResult> {
  const output = new ScriptOutput((event) => {
    if (event.kind === 'step') crashPoint(event.step, options.env);
    options.onEvent?.(event);
  });
  const stdin = options.stdin?.();
  let result;
  try {
    result = await engine.exec(target.containerId, {
      cmd: scriptCommand(options.op, options.root, options.args),
      env: scriptEnv(options.env),
      ...(target.user ? { user: target.user } : {}),
      ...(stdin ? { stdin } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      stdout: output,
    });
  } catch (error) {
    output.finish();
    const cause = (error as { cause?: unknown }).cause ?? error;
    if (cause instanceof PackError) throw new StdinFailedError(cause, output.events);
    throw error;
  } finally {
    if (stdin && !stdin.readableEnded) stdin.destroy();
  }
  output.finish();
  const hello = output.has('hello');
  if (!hello && (result.exitCode === 126 || result.exitCode === 127)) {
    // The engine's message arrives in a stdout frame: keep its printable part.
    throw new NoShellError((result.stdout + result.stderr).replace(/[^\x20-\x7e]/g, ' ').trim());
  }
  const problem = output.problem ?? (result.exitCode === ScriptExit.Done && output.events.at(-1)?.kind !== 'done' ? 'the script ended without DONE' : undefined);
  if (problem !== undefined) throw protocolError(problem, output.events, result.exitCode);
  return { exitCode: result.exitCode, events: output.events, stderr: result.stderr };
}

/**
 * The script's output broke its protocol (plugin.sh header): a record that does not parse, or a
 * success without DONE. Nothing after the break is believed, so the operation's outcome is
 * unknown; the error names the last step seen and says how to look.
 */
function protocolError(problem: string, events: readonly ScriptEvent[], exitCode: number): OperationFailedError {
  const step = [...events].reverse().find((e): e is Extract<ScriptEvent, { kind: 'step' }> => e.kind === 'step')?.step;
  return new OperationFailedError(
    l10n.t(
      'The plugin script in the container printed output that breaks its protocol ({0}; exit code {1}). Berth believes none of it from that point on, so the outcome is unknown: list the plugins to see the plugin root as it is now.',
      problem,
      exitCode,
    ),
    { ...(step ? { step } : {}), detail: 'protocol' },
  );
}

export interface HelperSettings {
  readonly helperImage: string;
}

export const HELPER_LABEL = 'berth.helper';

/**
 * For a workload without a shell whose plugin root sits on a volume or bind mount: runs `fn` in
 * a short-lived helper container (no network) that mounts the same source at the same path, as
 * the workload's numeric user when it has one. The helper is removed in `finally`; one left by
 * a crash exits by itself after ten minutes and the startup sweep removes it.
 */
export async function withHelper<T>(
  engine: Engine,
  workload: Workload,
  root: string,
  settings: HelperSettings,
  signal: AbortSignal | undefined,
  fn: (target: ScriptTarget) => Promise<T>,
): Promise<T> {
  const mount = mountHolding(workload, root);
  if (!mount || (mount.type !== 'volume' && mount.type !== 'bind')) {
    throw new RejectedError(
      l10n.t(
        '{0} has no /bin/sh, so Berth cannot run its install steps inside it, and the plugin root {1} is not on a volume or bind mount that a helper container could share. Nothing was written.',
        workload.name,
        root,
      ),
      { path: root, detail: 'no-shell' },
    );
  }
  const image = settings.helperImage;
  if (!(await engine.hasImage(image, signal))) {
    throw new RejectedError(
      l10n.t(
        '{0} has no /bin/sh; its plugin root {1} is on a mount, but the helper image {2} is not present locally. Load or build it (it needs sh and tar), or set berth.helperImage. Nothing was written.',
        workload.name,
        root,
        image,
      ),
      { path: root, detail: 'helper-image-missing' },
    );
  }
  const details = await engine.inspectContainer(workload.id, signal);
  const user = details.Config.User && /^\d+(:\d+)?$/.test(details.Config.User) ? details.Config.User : undefined;
  const source = mount.type === 'volume' ? (mount.name ?? mount.source) : mount.source;
  const bind = `${source}:${mount.target}${mount.readOnly ? ':ro' : ''}`;
  const id = await engine.createHelperContainer(
    {
      image,
      cmd: ['sh', '-c', 'sleep 600'],
      binds: [bind],
      labels: { [HELPER_LABEL]: 'plugins', [`${HELPER_LABEL}.workload`]: workload.identity.key, [`${HELPER_LABEL}.owner`]: `${hostname()}:${process.pid}` },
      ...(user ? { user } : {}),
    },
    signal,
  );
  try {
    await engine.startContainer(id, signal);
    return await fn({ containerId: id, via: 'helper', ...(user ? { user } : {}) });
  } finally {
    await engine.removeContainer(id).catch(() => undefined);
  }
}
