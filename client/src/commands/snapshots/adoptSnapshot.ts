import * as vscode from 'vscode';
import { AdoptSnapshotRequest, ListSnapshotsRequest, type SnapshotInfo } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { OrphanItem, QuarantinedItem } from '../../views/snapshots/AttentionItems';
import { snapshotName } from './snapshotArgument';

/**
 * Adopt Orphaned Snapshot: on an orphan row (or a set-aside record whose data is kept), on a
 * content ID (scripts, tests), or one the user picks. The backend makes a pinned record from the
 * object's own manifest.
 */
export function adoptSnapshot(ctx: Ctx) {
  return async (arg?: unknown): Promise<SnapshotInfo | undefined> => {
    let id: string | undefined;
    if (arg instanceof OrphanItem) id = arg.orphan.id;
    else if (arg instanceof QuarantinedItem) id = arg.record.contentId;
    else if (typeof arg === 'string') id = arg;
    else {
      const { orphans, quarantined } = await ctx.request(ListSnapshotsRequest.type, {});
      const candidates = [...new Set([...orphans.filter((o) => o.manifest).map((o) => o.id), ...quarantined.filter((q) => q.objectPresent && q.contentId).map((q) => q.contentId as string)])];
      if (candidates.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No snapshot data is orphaned.'));
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(
        candidates.map((c) => {
          const m = orphans.find((o) => o.id === c)?.manifest;
          return { label: m?.label || c.slice(0, 12), description: m ? `${m.workload.label} · ${new Date(m.capturedAt).toLocaleString()}` : '', detail: c, id: c };
        }),
        { placeHolder: vscode.l10n.t('Select the orphaned snapshot to adopt') },
      );
      id = picked?.id;
    }
    if (!id) return undefined;
    const adopted = await ctx.runOperation(AdoptSnapshotRequest.type, { id }, { title: vscode.l10n.t('Adopting snapshot data {0}', id.slice(0, 12)), progress: 'none', cancellable: false, made: (r) => `snapshot ${r.snapshot.recordId} of ${r.snapshot.workload.key}` });
    if (!adopted) return undefined;
    const { snapshot } = adopted;
    void vscode.window.showInformationMessage(vscode.l10n.t('Adopted snapshot {0} of {1}: it has a record again (pinned).', snapshotName(snapshot), snapshot.workload.label));
    return snapshot;
  };
}
