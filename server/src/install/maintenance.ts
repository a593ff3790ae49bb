import * as l10n from '@vscode/l10n';
import type { PluginScriptStep, RemovePluginResult, RollbackPluginResult, SweepPluginsResult } from '../../../protocol/src';
import type { PluginRefParams, SweepPluginsParams, ParsedParams } from '../../../protocol/src/params';
import { errorMessage } from '../errors';
import type { OperationContext } from '../operation';
import { lockRunningTarget, runAnywhere, type PluginDeps } from './context';
import { parseMarker } from './listing';
import { newStamp, validatePluginName } from './names';
import { info, scriptFailure, swept, type OperationSubject } from './outcome';
import { runScript, type ScriptResult } from './runner';
import { ScriptExit, type ScriptOp } from './script';
import { recordSource, rememberWorkload } from './sources';

/** The params of berth/plugins/rollback and remove (protocol/src/params/plugins.ts). */
export type PluginRefRequest = ParsedParams<typeof PluginRefParams>;

/** The params of berth/plugins/sweep, and what the backend's own sweeps add. */
export type SweepRequest = ParsedParams<typeof SweepPluginsParams> & {
  /** The startup sweep never creates helper containers. */
  readonly allowHelper?: boolean;
};

const STEP_PERCENT: Readonly<Partial<Record<PluginScriptStep, number>>> = {
  'rollback.journal': 20,
  'rollback.aside': 40,
  'rollback.restore': 60,
  'rollback.finish': 90,
  'remove.previous': 20,
  'remove.aside': 50,
  'remove.delete': 70,
  'sweep.recover': 20,
  'sweep.clean': 60,
};

/** Runs one mutating script operation under the workload's lock; throws its failure by step. */
async function mutate(
  deps: PluginDeps,
  op: Exclude<ScriptOp, 'install' | 'list'>,
  request: { workload: string; root?: string; wait?: boolean; name?: string; allowHelper?: boolean },
  ctx: OperationContext,
  args: (stamp: string) => string[],
): Promise<{ result: ScriptResult; subject: OperationSubject }> {
  // The lock comes before any judgement of the workload's state (see lockRunningTarget).
  const { target, lock } = await lockRunningTarget(deps, request, op, ctx.signal);
  try {
    await rememberWorkload(deps.stateDir(), target.workload.identity.key);
    const stamp = newStamp();
    const subject: OperationSubject = { op, workload: target.workload, root: target.root, ...(request.name ? { name: request.name } : {}) };
    const label = request.name ? `${request.name}: ` : '';
    const { value: result } = await runAnywhere(
      deps,
      target,
      ctx.signal,
      (t) =>
        runScript(deps.engine(), t, {
          op,
          root: target.root,
          args: args(stamp),
          env: deps.env,
          onEvent: (e) => {
            if (e.kind === 'step') ctx.progress.report(`${label}${e.step}`, STEP_PERCENT[e.step]);
          },
        }),
      request.allowHelper !== false,
    );
    if (result.exitCode !== ScriptExit.Done) throw scriptFailure(subject, result);
    if (op === 'remove' && request.name) {
      await recordSource(deps.stateDir(), target.workload.identity.key, request.name, undefined, (why) => deps.log.warn(why)).catch((error: unknown) =>
        deps.log.warn(`Cannot forget the source of ${request.name ?? ''}: ${errorMessage(error)}`),
      );
    }
    return { result, subject };
  } finally {
    await lock.release();
  }
}

/**
 * Roll back: the newest previous version becomes live again and the replaced live version
 * becomes the newest previous, so a second roll-back returns to it. Steps: rollback.journal,
 * rollback.aside, rollback.restore, rollback.finish.
 */
export async function rollbackPlugin(deps: PluginDeps, request: PluginRefRequest, ctx: OperationContext): Promise<RollbackPluginResult> {
  const name = validatePluginName(request.name);
  ctx.progress.report(l10n.t('Rolling back {0}', name), 0);
  const { result, subject } = await mutate(deps, 'rollback', { ...request, name }, ctx, (stamp) => [name, stamp]);
  const from = info(result.events, 'from') ?? '';
  const replaced = info(result.events, 'replaced');
  return {
    workload: subject.workload.name,
    name,
    root: subject.root,
    restored: { setAside: from, ...parseMarker(info(result.events, 'marker')) },
    ...(replaced ? { replaced } : {}),
  };
}

/** Remove: deletes the previous versions first, then sets the live one aside and deletes it. */
export async function removePlugin(deps: PluginDeps, request: PluginRefRequest, ctx: OperationContext): Promise<RemovePluginResult> {
  const name = validatePluginName(request.name);
  ctx.progress.report(l10n.t('Removing {0}', name), 0);
  const { result, subject } = await mutate(deps, 'remove', { ...request, name }, ctx, (stamp) => [name, stamp]);
  return { workload: subject.workload.name, name, root: subject.root, previousRemoved: Number(info(result.events, 'previous') ?? '0') || 0 };
}

/** Sweep: recovers interrupted operations from their journals, then deletes leftovers. */
export async function sweepPlugins(deps: PluginDeps, request: SweepRequest, ctx: OperationContext): Promise<SweepPluginsResult> {
  ctx.progress.report(l10n.t('Sweeping plugin leftovers'), 0);
  const { result, subject } = await mutate(deps, 'sweep', request, ctx, () => []);
  return { workload: subject.workload.name, root: subject.root, ...swept(result.events) };
}
