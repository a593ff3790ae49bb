import type { Ctx } from '../../ctx';

export function refreshSnapshots(ctx: Ctx) {
  return (): void => ctx.hub.refresh(['snapshots'], 'manual');
}
