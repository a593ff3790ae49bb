// The pre-restore safety copy. Until it is a stored snapshot, the moved-aside old directory IS
// the safety copy; this turns it into a snapshot record of its own labelled `pre-restore` (data
// shared with any record of the same content, which it never changes) while the workload
// is already running again (so downtime does not grow with data size). It reads through a
// created, never started helper container that mounts each aside directory read-only at the
// volume's original target, so the snapshot has the targets, types and content ID that a
// capture of the workload just before the restore would have had.
import { posix } from 'node:path';
import type { Workload } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import type { OperationContext } from '../operation';
import { captureStillVolumes } from '../snapshots/capture';
import type { SnapshotStore } from '../snapshots/store';
import { currentOwner } from '../snapshots/liveness';
import { helperLabels } from './helper';
import type { RestoreJournal } from './journal';

export const SAFETY_LABEL = 'pre-restore';

export async function captureSafetyCopy(store: SnapshotStore, engine: Engine, journal: RestoreJournal, workload: Workload, ctx: OperationContext, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const owner = await currentOwner();
  const id = await engine.createHelperContainer({
    image: journal.helperImage,
    entrypoint: ['/bin/sh', '-c'],
    cmd: ['exit 0'],
    binds: journal.volumes.map((v) => `${posix.join(v.hostParent, v.asideName)}:${v.target}:ro`),
    labels: helperLabels(owner, journal.id, env),
  });
  try {
    const planned = journal.volumes.map((v) => ({ target: v.target, type: v.type, source: v.source, readOnly: v.readOnly, nested: [...v.nested] }));
    // Its own record (never a relabelled existing one), tied to this restore, so that storing it
    // again after a crash (recovery) finds it instead of adding a second record.
    const outcome = await captureStillVolumes(store, engine, workload, id, planned, { label: SAFETY_LABEL, quiesce: 'stop', applied: 'stop', restoreId: journal.id }, ctx);
    return outcome.record.id;
  } finally {
    await engine.removeContainer(id, AbortSignal.timeout(60_000)).catch(() => undefined);
  }
}

/** A Workload value for a journal's workload when its container may be gone (names and keys only). */
export function workloadOfJournal(journal: RestoreJournal): Workload {
  return {
    id: journal.containerId,
    identity: journal.workload,
    name: journal.workloadName,
    image: '',
    state: 'exited',
    health: 'none',
    status: '',
    created: 0,
    labels: {},
    mounts: [],
  };
}
