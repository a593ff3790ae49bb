import type { Ctx } from '../../ctx';

export function refreshWorkloads(ctx: Ctx) {
  return async (): Promise<void> => {
    await ctx.refreshEngineStatus();
    ctx.views().workloads.refresh();
  };
}

/** The welcome state's Retry button: ask the engine again, restarting the backend if needed. */
export function retryEngine(ctx: Ctx) {
  return async (): Promise<void> => {
    if (ctx.backendState === 'stopped') await ctx.restartBackend();
    await ctx.refreshEngineStatus();
    ctx.views().workloads.refresh();
  };
}
