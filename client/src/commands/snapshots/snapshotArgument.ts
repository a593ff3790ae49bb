import * as vscode from 'vscode';
import { ListSnapshotsRequest, type SnapshotInfo, type Workload } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import type { OperationWorkload } from '../../operations/busy';
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
  return chooseSnapshot(snapshots, arg, {
    notFound: (ref) => vscode.l10n.t('No snapshot {0}.', ref),
    none: vscode.l10n.t('There are no snapshots yet.'),
    placeHolder: vscode.l10n.t('Select a snapshot'),
    describe: (s) => ({ description: `${s.workload.label} · ${ageOf(s.capturedAt)}`, detail: `${s.recordId} · ${s.id}` }),
  });
}

/** What a snapshot picker says; each command words it for its case. */
export interface SnapshotPickerWords {
  readonly notFound: (ref: string) => string;
  readonly none: string;
  readonly placeHolder: string;
  readonly describe: (s: SnapshotInfo) => { readonly description: string; readonly detail: string };
}

/** The snapshot `ref` names when it is a string (scripts, tests), else one the user picks. */
export async function chooseSnapshot(snapshots: readonly SnapshotInfo[], ref: unknown, words: SnapshotPickerWords): Promise<SnapshotInfo | undefined> {
  if (typeof ref === 'string') {
    const found = findSnapshot(snapshots, ref);
    if (!found) void vscode.window.showErrorMessage(words.notFound(ref));
    return found;
  }
  if (snapshots.length === 0) {
    void vscode.window.showInformationMessage(words.none);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    snapshots.map((s) => ({ label: s.label || s.id.slice(0, 12), ...words.describe(s), snapshot: s })),
    { placeHolder: words.placeHolder },
  );
  return picked?.snapshot;
}

/**
 * The snapshot a script names: a record ID first, else the newest (the list is newest first)
 * whose label or content ID is `ref`, or whose content ID starts with it (8 characters at least).
 */
export function findSnapshot(snapshots: readonly SnapshotInfo[], ref: string): SnapshotInfo | undefined {
  return snapshots.find((s) => s.recordId === ref) ?? snapshots.find((s) => s.label === ref || s.id === ref || (ref.length >= 8 && s.id.startsWith(ref)));
}

export function snapshotName(s: SnapshotInfo): string {
  return s.label ? `${s.label} (${s.id.slice(0, 12)})` : s.id.slice(0, 12);
}

/** A snapshot's workload as an operation names it (a snapshot outlives its container). */
export function snapshotWorkload(s: SnapshotInfo): OperationWorkload {
  return { key: s.workload.key, name: s.workload.label };
}

/** Whether a workload has data a snapshot captures: a named volume or a bind mount. */
export function hasSnapshotData(w: Workload): boolean {
  return w.mounts.some((m) => (m.type === 'volume' && !m.anonymous) || m.type === 'bind');
}
