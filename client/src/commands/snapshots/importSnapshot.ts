import * as vscode from 'vscode';
import { ImportSnapshotRequest, type ImportSnapshotResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';

/**
 * Imports a portable snapshot file. The backend checks all of it before storing anything; an
 * unsafe file is refused with an error naming the entry.
 */
export function importSnapshot(ctx: Ctx) {
  return async (file?: unknown): Promise<ImportSnapshotResult | undefined> => {
    let source = typeof file === 'string' ? file : undefined;
    if (!source) {
      const picked = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Import Snapshot'),
        canSelectMany: false,
        filters: { [vscode.l10n.t('Berth snapshot')]: ['gz', 'tgz'], [vscode.l10n.t('All files')]: ['*'] },
      });
      if (!picked?.[0]) return undefined;
      source = picked[0].fsPath;
    }
    const result = await ctx.runOperation(
      ImportSnapshotRequest.type,
      { file: source },
      { title: vscode.l10n.t('Importing {0}', source), made: (r) => `snapshot ${r.snapshot.recordId} of ${r.snapshot.workload.key}${r.existing ? ', already stored' : ''}` },
    );
    if (!result) return undefined;
    const id = result.snapshot.recordId;
    void vscode.window.showInformationMessage(
      result.existing
        ? vscode.l10n.t('Snapshot {0} of {1} was already in the store.', id, result.snapshot.workload.label)
        : vscode.l10n.t('Imported snapshot {0} of {1}; every file was verified.', id, result.snapshot.workload.label),
    );
    return result;
  };
}
