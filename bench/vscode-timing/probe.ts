// Runs inside the extension host of the timing benchmark (as its extensionTestsPath): waits for
// Berth to activate on its own, then prints its activation time and its backend's time to ready
// as one `BERTH_TIMING {json}` line for bench/vscode-timing.ts.
import * as vscode from 'vscode';
import type { BerthApi } from '../../client/src/extension';

const EXTENSION_ID = 'berth.berth';

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<BerthApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not loaded`);
  // Not extension.activate(): that would activate it on our schedule instead of VS Code's.
  const { ctx } = await until('Berth to activate (onStartupFinished)', () => (extension.isActive ? extension.exports : undefined));
  // Ready and the engine reached: then the status item's check mark, which the benchmark times
  // in the page, is on its way before this run ends.
  await until('the backend and the engine', () => (ctx.backendState === 'ready' && ctx.engineStatus?.reachable ? true : undefined));
  const info = await ctx.serverInfo();
  console.log(`BERTH_TIMING ${JSON.stringify({ activationMs: ctx.activationMs, readyMs: info.readyMs, backendPid: info.pid })}`);
}
