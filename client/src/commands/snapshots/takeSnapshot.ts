import * as vscode from 'vscode';
import { CreateSnapshotRequest, type CreateSnapshotResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { WorkloadGroupItem } from '../../views/snapshots/WorkloadGroupItem';
import { workloadArgument } from '../workloads/pickWorkload';
import { announceCapture, askLabel, quiesceSetting } from './captureParts';
import { hasSnapshotData } from './snapshotArgument';

export interface TakeSnapshotOptions {
  /** Skips the label prompt (scripts and tests). */
  readonly label?: string;
}

/**
 * Captures a workload's volumes. Quiesce mode and retention come from the settings
 * `berth.snapshots.quiesce`, `berth.snapshots.keep` and `berth.snapshots.keepPerWorkload`.
 */
export function takeSnapshot(ctx: Ctx) {
  return async (arg?: unknown, second?: unknown): Promise<CreateSnapshotResult | undefined> => {
    // From a tree's context menu the second argument is the selection; only scripts pass options.
    const options = second && typeof second === 'object' && !Array.isArray(second) ? (second as TakeSnapshotOptions) : undefined;
    let ref: string;
    let name: string;
    let key: string;
    if (arg instanceof WorkloadGroupItem) {
      ref = arg.identity.key;
      key = arg.identity.key;
      name = arg.identity.label;
    } else {
      const workload = await workloadArgument(ctx, arg, hasSnapshotData);
      if (!workload) return undefined;
      ref = workload.id;
      key = workload.identity.key;
      name = workload.name;
    }
    const label =
      (typeof options?.label === 'string' ? options.label : undefined) ??
      (await askLabel(vscode.l10n.t('Take Snapshot of {0}', name), vscode.l10n.t('A label for the snapshot (optional). Labelled snapshots are kept by retention.')));
    if (label === undefined) return undefined;
    const config = vscode.workspace.getConfiguration('berth.snapshots');
    const quiesce = quiesceSetting();
    const perWorkload = config.get<Record<string, unknown>>('keepPerWorkload', {});
    const keepValue = [perWorkload[key], perWorkload[name], config.get<number>('keep', 0)].find((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0) as number | undefined;
    const result = await ctx.runOperation(
      CreateSnapshotRequest.type,
      { workload: ref, label: label.trim(), quiesce, ...(keepValue ? { keep: keepValue } : {}) },
      { title: vscode.l10n.t('Taking a snapshot of {0}', name), workload: { key, name }, busy: 'capture', made: (r) => `snapshot ${r.snapshot.recordId} (${r.snapshot.id.slice(0, 12)})` },
    );
    if (!result) return undefined;
    const id = result.snapshot.recordId;
    const message = result.sameContentAs
      ? vscode.l10n.t('Snapshot {0} of {1} taken; unchanged since snapshot {2}, so the data is stored once and shared.', id, name, result.sameContentAs)
      : vscode.l10n.t('Snapshot {0} of {1} taken: {2} volume(s), quiesce: {3}.', id, name, result.snapshot.volumes.length, result.snapshot.quiesce);
    announceCapture(ctx, message, result.warnings, vscode.l10n.t('Show Skipped Items'), (n) => vscode.l10n.t('{0} item(s) were skipped.', n));
    return result;
  };
}
