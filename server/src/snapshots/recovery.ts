// The startup sweep for snapshots, run when the backend starts and before every CLI command.
// It is idempotent and safe to run while other processes work: it touches only what dead
// processes left behind (journals and temp directories carry their owner's PID and start time),
// takes the workload lock before resuming a workload, and the store lock before removing
// objects or records.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { Engine } from '../engine/engine';
import { BerthError, errorMessage } from '../errors';
import { acquireLock } from '../locks';
import type { Log } from '../log';
import { parseOwnerTag, ownerAlive } from './liveness';
import { journalFiles, journalOwnerAlive, readJournal, removeJournal, restorePrior } from './quiesce';
import type { SnapshotStore } from './store';

export interface SnapshotRecoveryReport {
  /** Workloads put back into their prior state: `<workload> (<mode>)`. */
  readonly resumed: string[];
  journalsCleared: number;
  tempRemoved: number;
  readonly orphanObjectsRemoved: string[];
  readonly danglingRecordsRemoved: string[];
  readonly problems: string[];
}

export async function recoverSnapshots(store: SnapshotStore, engine: () => Engine, log: Log): Promise<SnapshotRecoveryReport> {
  const report: SnapshotRecoveryReport = { resumed: [], journalsCleared: 0, tempRemoved: 0, orphanObjectsRemoved: [], danglingRecordsRemoved: [], problems: [] };
  if (!(await store.exists())) return report;
  await resumeQuiesced(store, engine, log, report);
  await sweepTemp(store, report);
  await store.withLock('snapshot-recovery', () => sweepStore(store, log, report));
  if (report.resumed.length > 0 || report.tempRemoved > 0 || report.orphanObjectsRemoved.length > 0 || report.danglingRecordsRemoved.length > 0) {
    log.info(
      l10n.t(
        'Snapshot recovery: resumed {0}; removed {1} temp item(s), {2} orphan object(s), {3} dangling record(s).',
        report.resumed.join(', ') || l10n.t('no workload'),
        report.tempRemoved,
        report.orphanObjectsRemoved.length,
        report.danglingRecordsRemoved.length,
      ),
    );
  }
  for (const p of report.problems) log.warn(p);
  return report;
}

/** Puts back workloads that a crashed capture left paused or stopped. */
export async function resumeQuiesced(store: SnapshotStore, engine: () => Engine, log: Log, report: SnapshotRecoveryReport, onlyKey?: string): Promise<void> {
  for (const path of await journalFiles(store.layout)) {
    const journal = await readJournal(path, (why) => log.warn(why));
    if (!journal) {
      report.problems.push(l10n.t('Removed an unreadable quiesce journal: {0}', path));
      await removeJournal(path);
      continue;
    }
    if (onlyKey !== undefined && journal.key !== onlyKey) continue;
    if (await journalOwnerAlive(journal)) continue;
    let lock;
    if (onlyKey === undefined) {
      try {
        lock = await acquireLock(store.stateDir, 'workload', journal.key, 'snapshot-recovery');
      } catch (error) {
        if (error instanceof BerthError && error.codeName === 'Busy') continue;
        throw error;
      }
    }
    try {
      const outcome = await restorePrior(engine(), journal);
      if (outcome === 'resumed') report.resumed.push(`${journal.containerName} (${journal.mode === 'pause' ? 'unpaused' : 'started'})`);
      await removeJournal(path);
      report.journalsCleared++;
    } catch (error) {
      report.problems.push(l10n.t('Could not put {0} back into its state before the snapshot: {1}', journal.containerName, errorMessage(error)));
    } finally {
      await lock?.release();
    }
  }
}

async function sweepTemp(store: SnapshotStore, report: SnapshotRecoveryReport): Promise<void> {
  let names: string[];
  try {
    names = await readdir(store.layout.tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = parseOwnerTag(name);
    if (owner && (await ownerAlive(owner))) continue;
    await rm(join(store.layout.tmp, name), { recursive: true, force: true });
    report.tempRemoved++;
  }
}

/** Under the store lock: objects no record references, and records whose object is gone. */
async function sweepStore(store: SnapshotStore, log: Log, report: SnapshotRecoveryReport): Promise<void> {
  const records = await store.catalog.list();
  const referenced = new Set(records.map((r) => r.id));
  const objects = new Set(await store.objectIds());
  for (const id of objects) {
    if (referenced.has(id)) continue;
    await store.removeObject(id);
    report.orphanObjectsRemoved.push(id);
  }
  for (const record of records) {
    if (objects.has(record.id)) continue;
    log.warn(l10n.t('The catalog listed snapshot {0} of {1}, but its data is gone; removing the entry.', record.id.slice(0, 12), record.workload.key));
    await store.catalog.remove(record.workload.key, record.id);
    report.danglingRecordsRemoved.push(record.id);
  }
  try {
    for (const name of await readdir(store.layout.verify)) {
      const id = name.replace(/\.json$/, '');
      if (!objects.has(id) || !referenced.has(id)) await rm(join(store.layout.verify, name), { force: true });
    }
  } catch {
    // No verify directory yet.
  }
}
