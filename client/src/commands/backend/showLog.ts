import type { Ctx } from '../../ctx';

export function showLog(ctx: Ctx) {
  return (): void => ctx.log.show();
}
