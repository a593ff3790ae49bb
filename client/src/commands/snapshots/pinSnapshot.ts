import { PinSnapshotRequest, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { guarded } from './guarded';
import { snapshotArgument } from './snapshotArgument';

function setPinned(pinned: boolean) {
  return (ctx: Ctx) =>
    guarded(ctx, async (arg?: unknown): Promise<readonly SnapshotInfo[] | undefined> => {
      const snapshot = await snapshotArgument(ctx, arg);
      if (!snapshot) return undefined;
      return (await ctx.request(PinSnapshotRequest.type, { id: snapshot.recordId, workload: snapshot.workload.key, pinned })).snapshots;
    });
}

/** Pinned snapshots are kept by retention whatever their age. */
export const pinSnapshot = setPinned(true);
export const unpinSnapshot = setPinned(false);
