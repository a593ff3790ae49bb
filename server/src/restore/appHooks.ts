// The workload's pre-restore and post-restore hooks (docs/consistency.md), for restore.ts:
// read from its labels before anything is touched (an unusable label refuses the restore).
import * as l10n from '@vscode/l10n';
import type { Workload } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { hooksFromLabels } from '../hooks/labels';
import { OperationHooks } from '../hooks/operationHooks';
import type { Log } from '../log';
import type { OperationContext } from '../operation';

export async function restoreHooks(engine: Engine, log: Log, workload: Workload, ctx: OperationContext): Promise<OperationHooks> {
  const details = await engine.inspectContainer(workload.id, ctx.signal);
  const hooks = hooksFromLabels(details.Config.Labels ?? {}, workload.name);
  return new OperationHooks(engine, [{ target: { containerId: details.Id, key: workload.identity.key, name: workload.name }, hooks }], { pre: 'pre-restore', post: 'post-restore' }, log, (m) =>
    ctx.progress.report(m),
  );
}

/** A post-restore hook of an on-error=fail workload failed after the restore itself finished. */
export function postRestoreFailure(hooks: OperationHooks, workload: Workload, snapshot: string): Error | undefined {
  const failed = hooks.postFailure();
  if (!failed) return undefined;
  failed.message = l10n.t('The restore of {0} finished (its volumes hold snapshot {1}), but: {2}', workload.name, snapshot.slice(0, 12), failed.message);
  return failed;
}
