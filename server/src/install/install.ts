import { basename } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { InstallPluginResult, InstallStep, PluginScriptStep } from '../../../protocol/src';
import type { InstallPluginParams, ParsedParams } from '../../../protocol/src/params';
import { packPluginFolder } from '../archive/pluginTar';
import { crashPoint } from '../crash';
import { CancelledError, OperationFailedError, errorMessage, isBerthError, type BerthError } from '../errors';
import type { HeldLock } from '../locks';
import { throwIfCancelled, type OperationContext } from '../operation';
import { lockRunningTarget, runAnywhere, type PluginDeps, type Target } from './context';
import { newStamp, validatePluginName } from './names';
import { info, scriptFailure, swept, type OperationSubject } from './outcome';
import { runScript, StdinFailedError, type ScriptResult, type ScriptTarget } from './runner';
import { ScriptExit, type ScriptEvent } from './script';
import { recordSource, rememberWorkload } from './sources';
import { scanPluginFolder, type PluginSource } from './source';

/** The request's params as berth/plugins/install declares them (protocol/src/params/plugins.ts). */
export type InstallRequest = ParsedParams<typeof InstallPluginParams>;

/** The file whose arrival in the staged directory proves the whole archive arrived. */
const TRAILER = '.berth-end';

/** Progress for each named step; staging takes most of the bar. */
const STEP_PERCENT: Readonly<Record<InstallStep, number>> = {
  'install.prepare': 1,
  'install.sweep.recover': 2,
  'install.sweep.clean': 3,
  'install.stage': 5,
  'install.verify': 88,
  'install.journal': 90,
  'install.aside': 92,
  'install.swap': 94,
  'install.marker': 96,
  'install.gc': 98,
};

/**
 * Installs a plugin from a local folder (docs/plugins.md): checks the folder and the name, takes
 * the workload's lock, then runs every step in ONE exec of the in-container script, which reads
 * the tar on stdin: prepare, sweep, stage, verify, journal, aside, swap, marker, gc. Without
 * tar in the container, the content goes in by putArchive and a second exec commits it. Without
 * a shell, a helper container does the work when the root is on a mount.
 */
export async function installPlugin(deps: PluginDeps, request: InstallRequest, ctx: OperationContext): Promise<InstallPluginResult> {
  const name = validatePluginName(request.name ?? basename(request.folder.replace(/\/+$/, '')));
  ctx.progress.report(l10n.t('Checking {0}', request.folder), 0);
  // The folder walk runs while the workload is resolved and locked (both wait on I/O); a bad
  // folder is still the error reported first, and it stops a lock wait.
  const folderFailed = new AbortController();
  const scanning = scanPluginFolder(request.folder, ctx.signal);
  scanning.catch(() => folderFailed.abort());
  let target: Target;
  let lock: HeldLock;
  try {
    // The lock comes before any judgement of the workload's state (see lockRunningTarget).
    ({ target, lock } = await lockRunningTarget(deps, request, 'install', ctx.signal, AbortSignal.any([ctx.signal, folderFailed.signal])));
  } catch (error) {
    await scanning;
    throw error;
  }
  try {
    const source = await scanning;
    throwIfCancelled(ctx.signal);
    await rememberWorkload(deps.stateDir(), target.workload.identity.key);
    const stamp = newStamp();
    const subject: OperationSubject = { op: 'install', workload: target.workload, root: target.root, name };
    // The "installed from" record (for Reinstall) is written on this host while the container
    // works; it names the folder last used for this plugin, even if this install fails.
    const recording = recordSource(deps.stateDir(), target.workload.identity.key, name, source.folder, (why) => deps.log.warn(why)).catch((error: unknown) =>
      deps.log.warn(`Cannot record the source folder of ${name}: ${errorMessage(error)}`),
    );
    let outcome;
    try {
      outcome = await runAnywhere(deps, target, ctx.signal, (t) => installOn(deps, t, target, name, stamp, source, subject, ctx));
    } finally {
      await recording;
    }
    const { value, via } = outcome;
    const { result, usedPutArchive } = value;
    // The install stands; what the best-effort GC could not delete is said, not swallowed: the
    // older version stays in .previous (and the next sweep tries again).
    for (const e of result.events) {
      if (e.kind === 'warn') deps.log.warn(l10n.t('Installing plugin {0} into {1}: {2}', name, target.workload.name, e.text));
    }
    const previous = info(result.events, 'previous');
    const { recovered, removed } = swept(result.events);
    return {
      workload: target.workload.name,
      name,
      root: target.root,
      path: `${target.root}/${name}`,
      stamp,
      ...(source.version ? { version: source.version } : {}),
      ...(previous ? { previous } : {}),
      gcRemoved: Number(info(result.events, 'gc') ?? '0') || 0,
      files: source.files,
      bytes: source.bytes,
      via: usedPutArchive ? 'putArchive' : via,
      swept: [...recovered, ...removed],
    };
  } finally {
    await lock.release();
  }
}

async function installOn(
  deps: PluginDeps,
  t: ScriptTarget,
  target: Target,
  name: string,
  stamp: string,
  source: PluginSource,
  subject: OperationSubject,
  ctx: OperationContext,
): Promise<{ result: ScriptResult; usedPutArchive: boolean }> {
  const engine = deps.engine();
  const onEvent = progressReporter(name, source.bytes, ctx);
  const packOptions = (prefix?: string) => ({
    trailer: { path: TRAILER, content: stamp },
    signal: ctx.signal,
    onProgress: (bytes: number) => onEvent({ kind: 'info', key: 'bytes', value: String(bytes) }),
    ...(prefix ? { prefix } : {}),
  });
  const args = [name, stamp, source.version ?? '', String(source.bytes)];
  let result: ScriptResult;
  try {
    result = await runScript(engine, t, {
      op: 'install',
      root: target.root,
      args: [...args, 'stream'],
      stdin: () => packPluginFolder(source.folder, source.entries, packOptions()),
      onEvent,
      env: deps.env,
    });
  } catch (error) {
    if (error instanceof StdinFailedError) throw sourceFailure(subject, error.events, error.source.message, ctx);
    throw error;
  }
  let usedPutArchive = false;
  if (result.exitCode === ScriptExit.NoTar) {
    // No tar in the container: the engine extracts the archive into .staging, then a second
    // exec runs the remaining steps. The trailer proves the upload arrived whole either way.
    usedPutArchive = true;
    onEvent({ kind: 'step', step: 'install.stage' });
    crashPoint('install.stage', deps.env);
    let putError: unknown;
    try {
      await engine.putArchive(t.containerId, `${target.root}/.staging`, packPluginFolder(source.folder, source.entries, packOptions(`${name}.${stamp}`)));
    } catch (error) {
      putError = error;
    }
    result = await runScript(engine, t, { op: 'install', root: target.root, args: [...args, 'commit'], onEvent, env: deps.env });
    if (result.exitCode !== ScriptExit.Done) {
      const cause = putError === undefined ? undefined : l10n.t('uploading the plugin with putArchive failed: {0}', errorMessage((putError as { cause?: unknown }).cause ?? putError));
      throw cancelledOr(scriptFailure(subject, result, cause), ctx, result.exitCode);
    }
    return { result, usedPutArchive };
  }
  if (result.exitCode !== ScriptExit.Done) throw cancelledOr(scriptFailure(subject, result), ctx, result.exitCode);
  return { result, usedPutArchive };
}

function sourceFailure(subject: OperationSubject, events: readonly ScriptEvent[], message: string, ctx: OperationContext): BerthError {
  const exitCode = events.some((e) => e.kind === 'rollbackFail') ? ScriptExit.RollbackFailed : ScriptExit.RolledBack;
  const events2: ScriptEvent[] = events.some((e) => e.kind === 'fail') ? [...events] : [...events, { kind: 'fail', step: 'install.stage', text: message }];
  return cancelledOr(scriptFailure(subject, { exitCode, events: events2, stderr: '' }, l10n.t('reading the plugin folder failed: {0}', message)), ctx, exitCode);
}

/**
 * A failure caused by the user's cancel (the upload was cut short) and cleanly rolled back is
 * reported as Cancelled; a failed rollback stays an error that names both failures.
 */
function cancelledOr(error: BerthError, ctx: OperationContext, exitCode: number): BerthError {
  if (!ctx.signal.aborted || exitCode !== ScriptExit.RolledBack || !isBerthError(error) || !(error instanceof OperationFailedError)) return error;
  const rollback = error.extra.rollback;
  return new CancelledError(
    rollback ? l10n.t('The install was cancelled before the swap. Rolled back: {0}.', rollback) : l10n.t('The install was cancelled before the swap.'),
    { ...(error.extra.step ? { step: error.extra.step } : {}), ...(rollback ? { rollback } : {}) },
  );
}

/** Turns script events into progress messages that name the step; upload progress in KiB. */
function progressReporter(name: string, totalBytes: number, ctx: OperationContext): (event: ScriptEvent) => void {
  const percent: Readonly<Partial<Record<PluginScriptStep, number>>> = STEP_PERCENT;
  let lastReport = 0;
  let staging = false;
  return (event) => {
    if (event.kind === 'step') {
      staging = event.step === 'install.stage';
      ctx.progress.report(l10n.t('Installing {0}: {1}', name, event.step), percent[event.step]);
    } else if (event.kind === 'info' && event.key === 'bytes' && staging) {
      const now = Date.now();
      if (now - lastReport < 100) return;
      lastReport = now;
      const done = Number(event.value);
      const pct = totalBytes > 0 ? 5 + Math.floor((80 * done) / totalBytes) : 5;
      ctx.progress.report(l10n.t('Installing {0}: install.stage {1}/{2} KiB', name, Math.round(done / 1024), Math.round(totalBytes / 1024)), pct);
    }
  };
}
