// The startup sweep for snapshots, run when the backend starts and before every CLI command.
// It is idempotent and safe to run while other processes work: it touches only what dead
// processes left behind (journals, temp directories and intent markers carry their owner's PID
// and start time), takes the workload lock before resuming a workload, and the store lock for
// the catalog and the objects.
//
// The rule it keeps: no sweep deletes stored data because something could not be read. A record,
// journal or marker that cannot be read is moved into quarantine/ and reported; an object that
// no readable record refers to is kept and reported as orphaned (adoptable); a record whose
// object is gone is kept and reported. The only objects it deletes are those an intent marker of
// a dead process proves to be the leftover of a capture, import, delete or retention that died
// halfway, and only while nothing refers to them (docs/snapshots.md, "Damaged records").
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { Engine } from '../engine/engine';
import { BerthError, errorMessage } from '../errors';
import { acquireLock } from '../locks';
import type { Log } from '../log';
import { migrateLegacy } from './migration';
import { parseOwnerTag, ownerAlive } from './liveness';
import { quarantineFile } from './quarantine';
import { journalFiles, journalOwnerAlive, readJournal, removeJournal, restorePrior } from './quiesce';
import { references } from './references';
import type { SnapshotStore } from './store';

export interface SnapshotRecoveryReport {
  /** Workloads put back into their prior state: `<workload> (<mode>)`. */
  readonly resumed: string[];
  journalsCleared: number;
  tempRemoved: number;
  /** Schema-1 records migrated to per-capture records. */
  migrated: number;
  /** Objects an intent marker of a dead process proved to be an unfinished operation's leftover, removed. */
  readonly abandonedObjectsRemoved: string[];
  /** Quarantine entries made by this sweep (files that could not be read, moved aside). */
  readonly quarantined: string[];
  /** Objects without a readable record: kept, listed as orphaned. */
  readonly orphans: string[];
  /** Record IDs whose object is gone: kept, listed with their data missing. */
  readonly missingData: string[];
  readonly problems: string[];
}

export function emptyRecoveryReport(): SnapshotRecoveryReport {
  return { resumed: [], journalsCleared: 0, tempRemoved: 0, migrated: 0, abandonedObjectsRemoved: [], quarantined: [], orphans: [], missingData: [], problems: [] };
}

export async function recoverSnapshots(store: SnapshotStore, engine: () => Engine, log: Log): Promise<SnapshotRecoveryReport> {
  const report = emptyRecoveryReport();
  if (!(await store.exists())) return report;
  await resumeQuiesced(store, engine, log, report);
  await sweepTemp(store, report);
  await store.withLock('snapshot-recovery', () => sweepStore(store, log, report));
  if (report.resumed.length > 0 || report.tempRemoved > 0 || report.abandonedObjectsRemoved.length > 0 || report.migrated > 0) {
    log.info(
      l10n.t(
        'Snapshot recovery: resumed {0}; removed {1} temp item(s) and {2} object(s) of interrupted operations; migrated {3} old catalog record(s).',
        report.resumed.join(', ') || l10n.t('no workload'),
        report.tempRemoved,
        report.abandonedObjectsRemoved.length,
        report.migrated,
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
      // It may be the only record that a workload was paused by Berth: keep it for a person.
      if (onlyKey === undefined) {
        const entry = await quarantineFile(store.layout, path, `snapshots/quiesce/${basename(path)}`, l10n.t('unreadable quiesce journal'), {}).catch(() => undefined);
        report.problems.push(
          l10n.t('A quiesce journal could not be read, so Berth cannot tell which workload a crashed capture left paused or stopped; it was set aside as {0}. Check your workloads.', entry ? `snapshots/quarantine/${entry}` : path),
        );
        if (entry) report.quarantined.push(entry);
      }
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

/** Temp directories of dead processes (partial captures and imports, trash of deletes). */
async function sweepTemp(store: SnapshotStore, report: SnapshotRecoveryReport): Promise<void> {
  let names: string[];
  try {
    names = await readdir(store.layout.tmp);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = parseOwnerTag(name);
    // Every name Berth makes here carries its owner; one that does not is not Berth's: left alone.
    if (!owner || (await ownerAlive(owner))) continue;
    await rm(join(store.layout.tmp, name), { recursive: true, force: true });
    report.tempRemoved++;
  }
}

/** Under the store lock: migration, quarantine, intent markers of dead operations, and the report. */
async function sweepStore(store: SnapshotStore, log: Log, report: SnapshotRecoveryReport): Promise<void> {
  let scan = await store.catalog.scan();
  if (scan.legacy.length > 0) {
    const migration = await migrateLegacy(store, scan);
    report.migrated += migration.migrated;
    report.quarantined.push(...migration.quarantined);
    scan = await store.catalog.scan();
  }
  for (const u of scan.unreadable) {
    if (u.newer) {
      report.problems.push(l10n.t('The snapshot record {0} was written by a newer Berth ({1}); it is left as it is, and its data is kept.', u.relative, u.reason));
      continue;
    }
    const entry = await quarantineFile(store.layout, u.path, `snapshots/${u.relative}`, u.reason, { contentId: u.contentId, ...(u.recordId ? { recordId: u.recordId } : {}) });
    report.quarantined.push(entry);
    report.problems.push(
      l10n.t('The snapshot record {0} could not be read ({1}). It was set aside as snapshots/quarantine/{2}; the data of snapshot {3} is kept (see "berth snapshots list", and "berth snapshots adopt {3}").', u.relative, u.reason, entry, u.contentId.slice(0, 12)),
    );
  }
  if (scan.unreadable.some((u) => !u.newer)) scan = await store.catalog.scan();

  const objects = new Set(await store.objectIds());
  const { markers, unreadable } = await store.intents();
  for (const path of unreadable) {
    const entry = await quarantineFile(store.layout, path, `snapshots/intents/${basename(path)}`, l10n.t('unreadable intent marker'), { contentId: basename(path, '.json') });
    report.quarantined.push(entry);
    report.problems.push(l10n.t('An intent marker could not be read; it was set aside as snapshots/quarantine/{0} and its object is kept.', entry));
  }
  const refs = await references(store, scan);
  for (const marker of markers) {
    if (await ownerAlive(marker.owner)) continue;
    if (objects.has(marker.id) && !refs.needs(marker.id)) {
      await store.removeObject(marker.id);
      objects.delete(marker.id);
      report.abandonedObjectsRemoved.push(marker.id);
    }
    await store.clearIntent(marker.id);
  }

  const referenced = new Set(scan.records.map((r) => r.id));
  for (const id of objects) {
    if (referenced.has(id)) continue;
    report.orphans.push(id);
  }
  // Standing conditions are logged at info level (the CLI prints them with --verbose); the list
  // and the view show them every time. The events above (a record set aside) are warnings.
  if (report.orphans.length > 0) {
    log.info(l10n.t('{0} stored snapshot(s) have no readable catalog record; their data is kept. "berth snapshots list" shows them, "berth snapshots adopt <id>" makes a record from their own manifest: {1}', report.orphans.length, report.orphans.map((id) => id.slice(0, 12)).join(', ')));
  }
  for (const record of scan.records) {
    if (objects.has(record.id)) continue;
    report.missingData.push(record.recordId);
    log.info(l10n.t('The data of snapshot {0} ({1}) of {2} is missing from the store; its record is kept and shown.', record.recordId, record.id.slice(0, 12), record.workload.key));
  }
  // Verification results of objects that are gone. Only when objects/ exists at all: a store
  // whose objects/ folder is missing is damaged, not empty.
  if (!(await store.objectsFolderPresent())) return;
  try {
    for (const name of await readdir(store.layout.verify)) {
      const id = name.replace(/\.json$/, '');
      if (!objects.has(id)) await rm(join(store.layout.verify, name), { force: true });
    }
  } catch {
    // No verify directory yet.
  }
}
