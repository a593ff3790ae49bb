import * as vscode from 'vscode';
import { ListSnapshotsRequest, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { SnapshotItem } from '../../views/snapshots/SnapshotItem';
import { ageOf } from '../../views/snapshots/format';

/**
 * The snapshot record a command acts on: the tree item it was invoked on, a record ID, label or
 * content ID (from scripts and tests; the newest matching record), or one the user picks.
 */
export async function snapshotArgument(ctx: Ctx, arg: unknown): Promise<SnapshotInfo | undefined> {
  if (arg instanceof SnapshotItem) return arg.snapshot;
  if (arg && typeof arg === 'object' && 'snapshot' in arg) return (arg as { snapshot: SnapshotInfo }).snapshot;
  const { snapshots } = await ctx.request(ListSnapshotsRequest.type, {});
  if (typeof arg === 'string') {
    const found = snapshots.find((s) => s.recordId === arg) ?? snapshots.find((s) => s.label === arg || s.id === arg || (arg.length >= 8 && s.id.startsWith(arg)));
    if (!found) void vscode.window.showErrorMessage(vscode.l10n.t('No snapshot {0}.', arg));
    return found;
  }
  if (snapshots.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('There are no snapshots yet.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    snapshots.map((s) => ({ label: s.label || s.id.slice(0, 12), description: `${s.workload.label} · ${ageOf(s.capturedAt)}`, detail: `${s.recordId} · ${s.id}`, snapshot: s })),
    { placeHolder: vscode.l10n.t('Select a snapshot') },
  );
  return picked?.snapshot;
}

export function snapshotName(s: SnapshotInfo): string {
  return s.label ? `${s.label} (${s.id.slice(0, 12)})` : s.id.slice(0, 12);
}
