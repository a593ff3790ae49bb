import type { Ctx } from '../../ctx';

export function refreshPlugins(ctx: Ctx) {
  return (): void => ctx.views().plugins.refresh();
}
