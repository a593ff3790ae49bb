import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { isCancellation, showError, summarizeError } from '../operations/errors';
import type { Views } from '../views';
import { restartBackend } from './backend/restartBackend';
import { showLog } from './backend/showLog';
import { installFromFolder } from './plugins/installFromFolder';
import { refreshPlugins } from './plugins/refreshPlugins';
import { reinstallPlugin } from './plugins/reinstall';
import { removePlugin } from './plugins/remove';
import { rollbackPlugin } from './plugins/rollback';
import { sweepPlugins } from './plugins/sweep';
import { adoptSnapshot } from './snapshots/adoptSnapshot';
import { deleteSnapshot } from './snapshots/deleteSnapshot';
import { exportSnapshot } from './snapshots/exportSnapshot';
import { importSnapshot } from './snapshots/importSnapshot';
import { pinSnapshot, unpinSnapshot } from './snapshots/pinSnapshot';
import { refreshSnapshots } from './snapshots/refreshSnapshots';
import { restoreSnapshot } from './snapshots/restoreSnapshot';
import { recover } from './restore/recover';
import { showRestoreDetails } from './restore/showRestoreDetails';
import { takeProjectSnapshot } from './snapshots/takeProjectSnapshot';
import { takeSnapshot } from './snapshots/takeSnapshot';
import { verifySnapshot } from './snapshots/verifySnapshot';
import { copyWorkloadId } from './workloads/copyWorkloadId';
import { refreshWorkloads, retryEngine } from './workloads/refreshWorkloads';
import { restartWorkload, startWorkload, stopWorkload } from './workloads/lifecycle';
import { showWorkloadLogs } from './workloads/showWorkloadLogs';
import { exportWorkspaceChanges } from './workspace/exportChanges';
import { importLocalRepository } from './workspace/importRepository';

export type Command = (...args: unknown[]) => unknown;
/** Makes a command's handler. Commands act through Ctx; a few also need a view (to reveal a row). */
export type CommandFactory = (ctx: Ctx, views: Views) => Command;

/** The one registration point: command ID → factory. IDs match package.json. */
const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  'berth.showLog': showLog,
  'berth.backend.restart': restartBackend,
  'berth.workloads.refresh': refreshWorkloads,
  'berth.engine.retry': retryEngine,
  'berth.workloads.start': startWorkload,
  'berth.workloads.stop': stopWorkload,
  'berth.workloads.restart': restartWorkload,
  'berth.workloads.copyId': copyWorkloadId,
  'berth.workloads.showLogs': showWorkloadLogs,
  'berth.workspace.export': exportWorkspaceChanges,
  'berth.workspace.import': importLocalRepository,
  'berth.plugins.install': installFromFolder,
  'berth.plugins.reinstall': reinstallPlugin,
  'berth.plugins.rollback': rollbackPlugin,
  'berth.plugins.remove': removePlugin,
  'berth.plugins.sweep': sweepPlugins,
  'berth.plugins.refresh': refreshPlugins,
  'berth.snapshots.take': takeSnapshot,
  'berth.snapshots.takeProject': takeProjectSnapshot,
  'berth.snapshots.verify': verifySnapshot,
  'berth.snapshots.export': exportSnapshot,
  'berth.snapshots.import': importSnapshot,
  'berth.snapshots.delete': deleteSnapshot,
  'berth.snapshots.pin': pinSnapshot,
  'berth.snapshots.unpin': unpinSnapshot,
  'berth.snapshots.refresh': refreshSnapshots,
  'berth.snapshots.restore': restoreSnapshot,
  'berth.snapshots.adopt': adoptSnapshot,
  'berth.restore.showDetails': showRestoreDetails,
  'berth.recover': recover,
};

/** Registers every command, each behind the error guard. */
export function registerCommands(ctx: Ctx, views: Views): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => vscode.commands.registerCommand(id, guarded(ctx, id, factory(ctx, views))));
}

/**
 * Any failure of a command outside an operation (while picking a workload or a snapshot, a
 * listing, a preview) shows as an error notification with the log, never as VS Code's bare
 * "command failed". Operations show their own failures (operations/runner.ts) and resolve to
 * undefined, so they do not reach here.
 */
function guarded(ctx: Ctx, id: string, command: Command): Command {
  return async (...args: unknown[]) => {
    try {
      return await command(...args);
    } catch (error) {
      if (isCancellation(error)) return undefined;
      const summary = summarizeError(error);
      ctx.log.error(`${id} failed: ${summary.name}: ${summary.message}`);
      showError(ctx.log, summary);
      return undefined;
    }
  };
}
