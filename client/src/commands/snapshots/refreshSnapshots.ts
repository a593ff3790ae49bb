import type { Ctx } from '../../ctx';

export function refreshSnapshots(ctx: Ctx) {
  return (): void => ctx.views().snapshots.refresh();
}
