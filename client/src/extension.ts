// The composition root (as rust-analyzer's editors/code/src/main.ts is): the only module that
// knows every part. It makes Ctx, then the views, the status bar and the commands with it, and
// hands them to Ctx to dispose. Ctx imports none of them, so nothing imports in a circle.
import type * as vscode from 'vscode';
import { registerCommands } from './commands';
import { RecoveryNotifier } from './commands/restore/recoveryNotifier';
import { ScheduleNotifier } from './commands/snapshots/scheduleNotifier';
import { Ctx } from './ctx';
import { StatusBar } from './statusBar';
import { createViews, type Views } from './views';
import { registerExportDocuments } from './workspace/exportDocuments';

/** What activation returns: the running extension, for the tests and the benchmark. */
export interface BerthApi {
  readonly ctx: Ctx;
  readonly views: Views;
}

let api: BerthApi | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<BerthApi> {
  const started = performance.now();
  const ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  const views = createViews(ctx);
  ctx.own(new StatusBar(ctx), views, ...registerCommands(ctx, views), new RecoveryNotifier(ctx), new ScheduleNotifier(ctx), registerExportDocuments(ctx));
  // The backend starts in the background: activation must not wait for it.
  void ctx.startBackend();
  ctx.activationMs = Math.round(performance.now() - started);
  ctx.log.info(`Berth activated in ${ctx.activationMs} ms`);
  api = { ctx, views };
  return api;
}

export async function deactivate(): Promise<void> {
  await api?.ctx.dispose();
  api = undefined;
}
