import * as vscode from 'vscode';
import { VerifySnapshotRequest, type VerifySnapshotResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { snapshotArgument, snapshotName, snapshotWorkload } from './snapshotArgument';

/** Re-reads a stored snapshot: every file's size and hash, and the ID; names a failing entry. */
export function verifySnapshot(ctx: Ctx) {
  return async (arg?: unknown): Promise<VerifySnapshotResult | undefined> => {
    const snapshot = await snapshotArgument(ctx, arg);
    if (!snapshot) return undefined;
    const result = await ctx.runOperation(
      VerifySnapshotRequest.type,
      { id: snapshot.recordId, workload: snapshot.workload.key },
      { title: vscode.l10n.t('Verifying snapshot {0}', snapshotName(snapshot)), workload: snapshotWorkload(snapshot), made: (r) => (r.ok ? `intact, ${r.files} files` : `damaged: ${r.failure?.message ?? ''}`) },
    );
    if (!result) return undefined;
    // A read-only state directory cannot keep the result; the check itself still counts.
    for (const w of result.warnings ?? []) ctx.log.warn(w);
    if (result.ok) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Snapshot {0} is intact: {1} files checked, and its ID matches its content.', snapshotName(snapshot), result.files));
    } else {
      const where = result.failure?.path ? vscode.l10n.t(' (entry {0})', result.failure.path) : '';
      void vscode.window.showErrorMessage(vscode.l10n.t('Snapshot {0} is damaged{1}: {2}', snapshotName(snapshot), where, result.failure?.message ?? ''));
    }
    return result;
  };
}
