import type { Ctx } from '../../ctx';

export function refreshPlugins(ctx: Ctx) {
  return (): void => ctx.hub.refresh(['plugins'], 'manual');
}
