// Holding a workload still while its volumes are read, and always giving it back in the state
// it was in. Before Berth pauses or stops a container it writes a small durable journal
// (quiesce/<workload digest>.json) saying what it is about to do and what the prior state was;
// it removes the journal only after the workload is back. If the process dies in between, the
// next start (backend or CLI) finds the journal and puts the workload back (recovery.ts).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { AppliedQuiesce, QuiesceMode } from '../../../protocol/src';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { BerthError, ConflictError } from '../errors';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import { keyDigest, type StoreLayout } from './layout';
import { currentOwner, ownerAlive, type Owner } from './liveness';

export interface QuiesceJournal {
  readonly schemaVersion: 1;
  readonly key: string;
  readonly containerId: string;
  readonly containerName: string;
  /** What Berth did to the container; the prior state was always "running". */
  readonly mode: 'pause' | 'stop';
  readonly owner: Owner;
  readonly at: string;
}

export interface Quiesced {
  readonly applied: AppliedQuiesce;
  /** Puts the workload back in its prior state; idempotent; never uses a cancelled signal. */
  resume(): Promise<void>;
}

export function journalPath(layout: StoreLayout, key: string): string {
  return join(layout.quiesce, `${keyDigest(key)}.json`);
}

/**
 * Quiesces a container per `mode`. A container that is not running needs nothing (`offline`);
 * one the user paused stays paused (`pause`: already still).
 */
export async function quiesce(engine: Engine, layout: StoreLayout, key: string, containerId: string, mode: QuiesceMode, signal: AbortSignal): Promise<Quiesced> {
  const details = await engine.inspectContainer(containerId, signal);
  const noop = async () => undefined;
  if (details.State.Status === 'restarting') {
    throw new ConflictError(l10n.t('{0} is restarting; take the snapshot once it is up or stopped.', details.Name.replace(/^\//, '')));
  }
  if (details.State.Paused) return { applied: 'pause', resume: noop };
  if (!details.State.Running) return { applied: 'offline', resume: noop };
  if (mode === 'none') return { applied: 'none', resume: noop };

  const journal: QuiesceJournal = {
    schemaVersion: 1,
    key,
    containerId: details.Id,
    containerName: details.Name.replace(/^\//, ''),
    mode,
    owner: await currentOwner(),
    at: new Date().toISOString(),
  };
  const path = journalPath(layout, key);
  await writeJsonAtomic(path, journal);
  crashPoint('capture.journal');
  let resumed = false;
  const resume = async () => {
    if (resumed) return;
    await restorePrior(engine, journal);
    resumed = true;
    crashPoint('capture.resume');
    await removeJournal(path);
  };
  try {
    if (mode === 'pause') await engine.pauseContainer(details.Id);
    else await engine.stopContainer(details.Id);
  } catch (error) {
    await resume().catch(() => undefined);
    throw error;
  }
  crashPoint('capture.quiesce');
  return { applied: mode, resume };
}

/** Undoes what a journal says Berth did, if it is still in effect. */
export async function restorePrior(engine: Engine, journal: QuiesceJournal): Promise<'resumed' | 'already' | 'gone'> {
  const signal = AbortSignal.timeout(60_000);
  let details;
  try {
    details = await engine.inspectContainer(journal.containerId, signal);
  } catch (error) {
    if (error instanceof BerthError && error.codeName === 'NotFound') return 'gone';
    throw error;
  }
  if (journal.mode === 'pause' && details.State.Paused) {
    await engine.unpauseContainer(journal.containerId, signal);
    return 'resumed';
  }
  if (journal.mode === 'stop' && !details.State.Running) {
    await engine.startContainer(journal.containerId, signal);
    return 'resumed';
  }
  return 'already';
}

export async function readJournal(path: string, onCorrupt?: (why: string) => void): Promise<QuiesceJournal | undefined> {
  return readJsonFile(path, validateJournal, onCorrupt);
}

export async function journalFiles(layout: StoreLayout): Promise<string[]> {
  try {
    return (await readdir(layout.quiesce)).filter((n) => n.endsWith('.json')).map((n) => join(layout.quiesce, n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function removeJournal(path: string): Promise<void> {
  await rm(path, { force: true });
  await fsyncDir(join(path, '..')).catch(() => undefined);
}

export async function journalOwnerAlive(journal: QuiesceJournal): Promise<boolean> {
  return ownerAlive(journal.owner);
}

function validateJournal(value: unknown): QuiesceJournal | undefined {
  const j = value as Partial<QuiesceJournal> | null;
  if (!j || j.schemaVersion !== 1 || typeof j.key !== 'string' || typeof j.containerId !== 'string' || (j.mode !== 'pause' && j.mode !== 'stop')) return undefined;
  const o = j.owner as Partial<Owner> | undefined;
  if (!o || typeof o.pid !== 'number' || typeof o.startTime !== 'string' || typeof o.host !== 'string') return undefined;
  return { ...j, containerName: typeof j.containerName === 'string' ? j.containerName : j.containerId, at: typeof j.at === 'string' ? j.at : '' } as QuiesceJournal;
}
