import type { Ctx } from '../../ctx';

export function refreshWorkloads(ctx: Ctx) {
  return (): Promise<void> => relist(ctx);
}

/** The welcome state's Retry button: ask the engine again, restarting the backend if needed. */
export function retryEngine(ctx: Ctx) {
  return async (): Promise<void> => {
    if (ctx.backendState === 'stopped') await ctx.restartBackend();
    await relist(ctx);
  };
}

/** Reads the engine's status again, then the Workloads tree (which shows it). */
async function relist(ctx: Ctx): Promise<void> {
  await ctx.refreshEngineStatus();
  ctx.hub.refresh(['workloads'], 'manual');
}
