import * as vscode from 'vscode';
import {
  ListSnapshotsRequest,
  ListWorkloadsRequest,
  RestorePreviewRequest,
  RestoreSnapshotRequest,
  type RestorePreviewResult,
  type RestoreSnapshotResult,
  type SnapshotInfo,
  type Workload,
} from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { Views } from '../../views';
import { SnapshotItem } from '../../views/snapshots/SnapshotItem';
import { ageOf } from '../../views/snapshots/format';
import { WorkloadItem } from '../../views/workloads/WorkloadItem';
import { formatBytes } from '../../views/workloads/MountItem';
import { RestoreStatus } from '../restore/restoreStatus';
import { operationWorkload, workloadArgument } from '../workloads/pickWorkload';
import { chooseSnapshot, hasSnapshotData, snapshotName } from './snapshotArgument';

export interface RestoreOptions {
  /** Scripts only: the user already confirmed elsewhere (the backend still checks `confirm`). */
  readonly confirmed?: boolean;
}

/**
 * Restore Snapshot…: on a snapshot (its workload is the container of the same identity) or on a
 * workload (pick one of its snapshots). A modal, destructive confirmation names the workload,
 * the volumes to replace with their sizes, the stop, and the safety copy. While it runs the
 * workload is busy in the tree and a status-bar item shows the phase; at the end a notification
 * gives the result and leads to the safety snapshot.
 */
export function restoreSnapshot(ctx: Ctx, views: Views) {
  return async (arg?: unknown, second?: unknown, third?: unknown): Promise<RestoreSnapshotResult | undefined> => {
    const target = await chooseTarget(ctx, arg, second);
    if (!target) return undefined;
    const { workload, snapshot } = target;
    const options = (typeof third === 'object' && third !== null ? third : typeof second === 'object' && second !== null && !Array.isArray(second) ? second : {}) as RestoreOptions;
    const preview = await ctx.request(RestorePreviewRequest.type, { workload: workload.id, snapshot: snapshot.id });
    if (options.confirmed !== true && !(await confirm(preview, snapshot))) return undefined;
    return run(ctx, views, workload, snapshot);
  };
}

async function chooseTarget(ctx: Ctx, arg: unknown, second: unknown): Promise<{ workload: Workload; snapshot: SnapshotInfo } | undefined> {
  if (arg instanceof SnapshotItem || (arg && typeof arg === 'object' && 'snapshot' in arg && !('workload' in arg))) {
    const snapshot = (arg as { snapshot: SnapshotInfo }).snapshot;
    const { workloads } = await ctx.request(ListWorkloadsRequest.type, { all: true });
    const workload = workloads.find((w) => w.identity.key === snapshot.workload.key);
    if (!workload) {
      void vscode.window.showErrorMessage(vscode.l10n.t('No container of {0} exists now, so there is nothing to restore into. Create or start it first.', snapshot.workload.label));
      return undefined;
    }
    return { workload, snapshot };
  }
  const workload = arg instanceof WorkloadItem ? arg.workload : await workloadArgument(ctx, arg, hasSnapshotData);
  if (!workload) return undefined;
  const { snapshots } = await ctx.request(ListSnapshotsRequest.type, { workload: workload.identity.key });
  const snapshot = await chooseSnapshot(snapshots, second, {
    notFound: (ref) => vscode.l10n.t('{0} has no snapshot {1}.', workload.name, ref),
    none: vscode.l10n.t('{0} has no snapshots yet.', workload.name),
    placeHolder: vscode.l10n.t('Select the snapshot to restore into {0}', workload.name),
    describe: (s) => ({ description: `${s.recordId} · ${ageOf(s.capturedAt)} · ${formatBytes(s.bytes)}`, detail: s.volumes.map((v) => v.target).join(', ') }),
  });
  return snapshot ? { workload, snapshot } : undefined;
}

async function confirm(preview: RestorePreviewResult, snapshot: SnapshotInfo): Promise<boolean> {
  const name = preview.workload.name;
  const lines = preview.volumes.map((v) => {
    const where = v.type === 'volume' ? vscode.l10n.t('volume {0}', v.source) : vscode.l10n.t('bind mount {0}', v.source);
    const now = v.currentBytes >= 0 ? vscode.l10n.t('{0} now', formatBytes(v.currentBytes)) : vscode.l10n.t('current size unknown');
    return `• ${v.target} (${where}): ${now} → ${vscode.l10n.t('{0} from the snapshot', formatBytes(v.bytes))}`;
  });
  const detail = [
    vscode.l10n.t('The live data of these volumes will be replaced:'),
    ...lines,
    '',
    preview.willStop
      ? vscode.l10n.t('{0} will be stopped while the volumes are swapped, and started again afterwards.', name)
      : vscode.l10n.t('{0} is not running; it stays stopped.', name),
    vscode.l10n.t('A safety copy of the current data is kept as a snapshot labelled "pre-restore".'),
  ].join('\n');
  const restore = vscode.l10n.t('Replace and Restore');
  const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Restore {0} from snapshot {1}?', name, snapshotName(snapshot)), { modal: true, detail }, restore);
  return choice === restore;
}

/**
 * The restore itself. Its progress shows in a status-bar item of its own rather than a
 * notification (a restore runs long, and its details stay at hand), whose Cancel (in the
 * details) is honoured until the point of no return.
 */
async function run(ctx: Ctx, views: Views, workload: Workload, snapshot: SnapshotInfo): Promise<RestoreSnapshotResult | undefined> {
  let status: RestoreStatus | undefined;
  const result = await ctx.runOperation(
    RestoreSnapshotRequest.type,
    { workload: workload.id, snapshot: snapshot.id, confirm: snapshot.id },
    {
      title: vscode.l10n.t('Restoring {0} from snapshot {1}', workload.name, snapshotName(snapshot)),
      workload: operationWorkload(workload),
      busy: 'restore',
      progress: (operation) => (status = new RestoreStatus(ctx.log, workload.name, snapshotName(snapshot), operation)),
      // The backend's message says that everything was put back.
      cancelled: (message) => message || vscode.l10n.t('The restore of {0} was cancelled; nothing was changed.', workload.name),
      made: (r) => (r.safetySnapshot ? `safety snapshot ${r.safetySnapshot.slice(0, 12)} (pre-restore)` : r.safetyPending ? `safety copy pending: ${r.safetyPending}` : undefined),
    },
  );
  if (result && status) announce(ctx, views, result, snapshot, status);
  return result;
}

function announce(ctx: Ctx, views: Views, result: RestoreSnapshotResult, snapshot: SnapshotInfo, status: RestoreStatus): void {
  const name = result.workload.name;
  const parts = [vscode.l10n.t('Restored {0} from snapshot {1} (downtime {2} s).', name, snapshotName(snapshot), (result.downtimeMs / 1000).toFixed(1))];
  if (result.safetySnapshot) parts.push(vscode.l10n.t('The replaced data is kept as snapshot {0} (pre-restore).', result.safetySnapshot.slice(0, 12)));
  if (result.safetyPending) parts.push(vscode.l10n.t('The safety copy is not stored yet ({0}); the old data is kept on the engine host until recovery stores it.', result.safetyPending));
  if (result.keptAsides?.length) parts.push(vscode.l10n.t('Replaced data that the pre-restore snapshot cannot hold was kept on the engine host at {0} (see the log for why).', result.keptAsides.map((k) => k.path).join(', ')));
  if (result.cancelRefused) parts.push(result.cancelRefused);
  for (const w of result.warnings) ctx.log.warn(w);
  const showSafety = vscode.l10n.t('Show Safety Snapshot');
  const details = vscode.l10n.t('Show Details');
  const buttons = result.safetySnapshot ? [showSafety, details] : [details];
  const show = result.warnings.length > 0 || result.safetyPending ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(parts.join(' '), ...buttons).then(async (choice) => {
    if (choice === showSafety && result.safetySnapshot) await revealSnapshot(ctx, views, result.safetySnapshot, result.workload.identity.key);
    if (choice === details) {
      ctx.log.info(`[restore] ${status.details().join('\n[restore] ')}`);
      ctx.log.show();
    }
  });
}

/**
 * Focuses the Snapshots view on a restore's safety copy: the newest pre-restore record of this
 * content of this workload (other records may share the content; they are not it).
 */
export async function revealSnapshot(ctx: Ctx, views: Views, id: string, workloadKey: string): Promise<void> {
  const { snapshots } = await ctx.request(ListSnapshotsRequest.type, { workload: workloadKey });
  const info = snapshots.find((s) => s.id === id && s.restoreId !== undefined) ?? snapshots.find((s) => s.id === id);
  views.snapshots.refresh();
  await vscode.commands.executeCommand('berth.snapshots.focus');
  if (info) await views.snapshotsView.reveal(new SnapshotItem(info), { select: true, focus: true, expand: true });
}
