import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { ExportSnapshotRequest, type ExportSnapshotResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { firstWorkspaceFolder } from '../../dialogs';
import { snapshotArgument, snapshotName, snapshotWorkload } from './snapshotArgument';

/** Writes the portable file (one gzip tar: manifest.json, then 0/, 1/, …) where the user says. */
export function exportSnapshot(ctx: Ctx) {
  return async (arg?: unknown, file?: unknown): Promise<ExportSnapshotResult | undefined> => {
    const snapshot = await snapshotArgument(ctx, arg);
    if (!snapshot) return undefined;
    let target = typeof file === 'string' ? file : undefined;
    if (!target) {
      const base = firstWorkspaceFolder() ?? vscode.Uri.file(homedir());
      const suggested = `${snapshot.workload.label.replace(/[^A-Za-z0-9._-]+/g, '-')}-${snapshot.id.slice(0, 12)}.berth-snapshot.tar.gz`;
      const uri = await vscode.window.showSaveDialog({
        title: vscode.l10n.t('Export Snapshot {0}', snapshotName(snapshot)),
        defaultUri: vscode.Uri.joinPath(base, suggested),
        filters: { [vscode.l10n.t('Berth snapshot')]: ['gz'] },
      });
      if (!uri) return undefined;
      target = uri.fsPath;
    }
    const result = await ctx.runOperation(
      ExportSnapshotRequest.type,
      { id: snapshot.recordId, workload: snapshot.workload.key, file: target },
      { title: vscode.l10n.t('Exporting snapshot {0}', snapshotName(snapshot)), workload: snapshotWorkload(snapshot), made: (r) => `file ${r.file} (${r.bytes} bytes)` },
    );
    if (!result) return undefined;
    void vscode.window.showInformationMessage(vscode.l10n.t('Exported snapshot {0} to {1}.', snapshotName(snapshot), result.file));
    return result;
  };
}
