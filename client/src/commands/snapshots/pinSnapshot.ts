import * as vscode from 'vscode';
import { PinSnapshotRequest, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { snapshotArgument, snapshotName, snapshotWorkload } from './snapshotArgument';

function setPinned(pinned: boolean) {
  return (ctx: Ctx) =>
    async (arg?: unknown): Promise<readonly SnapshotInfo[] | undefined> => {
      const snapshot = await snapshotArgument(ctx, arg);
      if (!snapshot) return undefined;
      const title = pinned ? vscode.l10n.t('Pinning snapshot {0}', snapshotName(snapshot)) : vscode.l10n.t('Unpinning snapshot {0}', snapshotName(snapshot));
      const result = await ctx.runOperation(
        PinSnapshotRequest.type,
        { id: snapshot.recordId, workload: snapshot.workload.key, pinned },
        { title, workload: snapshotWorkload(snapshot), progress: 'none', cancellable: false },
      );
      return result?.snapshots;
    };
}

/** Pinned snapshots are kept by retention whatever their age. */
export const pinSnapshot = setPinned(true);
export const unpinSnapshot = setPinned(false);
