import * as vscode from 'vscode';
import { DeleteSnapshotRequest, type DeleteSnapshotResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { formatBytes } from '../../views/workloads/MountItem';
import { snapshotArgument, snapshotName, snapshotWorkload } from './snapshotArgument';

/** Deletes one snapshot record after a modal confirmation; its data goes when no record needs it. */
export function deleteSnapshot(ctx: Ctx) {
  return async (arg?: unknown): Promise<DeleteSnapshotResult | undefined> => {
    const snapshot = await snapshotArgument(ctx, arg);
    if (!snapshot) return undefined;
    const remove = vscode.l10n.t('Delete');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Delete snapshot {0} of {1}?', snapshotName(snapshot), snapshot.workload.label),
      {
        modal: true,
        detail: vscode.l10n.t('Captured {0}; {1} in {2} volume(s). This cannot be undone.', new Date(snapshot.capturedAt).toLocaleString(), formatBytes(snapshot.bytes), snapshot.volumes.length),
      },
      remove,
    );
    if (choice !== remove) return undefined;
    const result = await ctx.runOperation(
      DeleteSnapshotRequest.type,
      { id: snapshot.recordId, workload: snapshot.workload.key },
      { title: vscode.l10n.t('Deleting snapshot {0}', snapshotName(snapshot)), workload: snapshotWorkload(snapshot), progress: 'none', cancellable: false },
    );
    if (!result) return undefined;
    vscode.window.setStatusBarMessage(vscode.l10n.t('Deleted snapshot {0}', snapshotName(snapshot)), 3000);
    return result;
  };
}
