import type { Ctx } from '../../ctx';

export function restartBackend(ctx: Ctx) {
  return (): Promise<void> => ctx.restartBackend();
}
