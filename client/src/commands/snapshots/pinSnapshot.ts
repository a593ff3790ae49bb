import { PinSnapshotRequest, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { showOperationError } from '../showOperationError';
import { snapshotArgument } from './snapshotArgument';

function setPinned(pinned: boolean) {
  return (ctx: Ctx) =>
    async (arg?: unknown): Promise<readonly SnapshotInfo[] | undefined> => {
      const snapshot = await snapshotArgument(ctx, arg);
      if (!snapshot) return undefined;
      try {
        return (await ctx.request(PinSnapshotRequest.type, { id: snapshot.id, workload: snapshot.workload.key, pinned })).snapshots;
      } catch (error) {
        showOperationError(ctx, error);
        return undefined;
      }
    };
}

/** Pinned snapshots are kept by retention whatever their age. */
export const pinSnapshot = setPinned(true);
export const unpinSnapshot = setPinned(false);
