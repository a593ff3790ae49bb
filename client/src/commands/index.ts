import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
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
import { takeSnapshot } from './snapshots/takeSnapshot';
import { verifySnapshot } from './snapshots/verifySnapshot';
import { copyWorkloadId } from './workloads/copyWorkloadId';
import { refreshWorkloads, retryEngine } from './workloads/refreshWorkloads';
import { restartWorkload, startWorkload, stopWorkload } from './workloads/lifecycle';
import { showWorkloadLogs } from './workloads/showWorkloadLogs';
import { exportWorkspaceChanges } from './workspace/exportChanges';
import { importLocalRepository } from './workspace/importRepository';

export type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

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

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => vscode.commands.registerCommand(id, factory(ctx)));
}
