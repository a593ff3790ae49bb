import * as l10n from '@vscode/l10n';
import type { RecoveryReport, RestorePreviewParams, RestorePreviewResult, RestoreSnapshotParams, RestoreSnapshotResult } from '../../../protocol/src';
import { echo } from '../echo';
import type { Engine } from '../engine/engine';
import { BerthError, ConflictError } from '../errors';
import { busyError, lockHolder } from '../locks';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import { ownerAlive } from '../snapshots/liveness';
import { emptyRecoveryReport, resumeQuiesced } from '../snapshots/recovery';
import { resolveSnapshot } from '../snapshots/resolve';
import type { CatalogRecord } from '../snapshots/catalog';
import { SnapshotStore } from '../snapshots/store';
import { fsErrorMessage } from '../state/fsErrors';
import { stateDirWritable } from '../state/folderChecks';
import type { WorkloadService } from '../workloads/workloadService';
import { loadSnapshot } from './data';
import { journalIds, readJournal } from './journal';
import { planRestore } from './preflight';
import { recoverRestores, type RecoveryOptions } from './recovery';
import { runRestore } from './restore';
import type { StepHooks } from './seams';

export interface RestoreHost {
  readonly stateDir: string;
  engine(): Engine;
  readonly workloads: WorkloadService;
  /** `berth.helperImage`, else BERTH_HELPER_IMAGE; undefined means "the workload's own image". */
  helperImage(): string | undefined;
}

/** Restore and recovery, for the RPC handlers and the CLI. Holds no RPC or CLI types. */
export class RestoreService {
  /** Fault-injection seams for tests; never set otherwise. */
  hooks: StepHooks | undefined;

  constructor(
    private readonly host: RestoreHost,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Log,
  ) {}

  private store(): SnapshotStore {
    return new SnapshotStore(this.host.stateDir, (why) => this.log.warn(why));
  }

  async preview(params: RestorePreviewParams, signal: AbortSignal): Promise<RestorePreviewResult> {
    const store = this.store();
    const snapshot = await this.resolveSnapshot(store, params.snapshot, params.workload);
    const workload = await this.host.workloads.resolve(params.workload, signal);
    const loaded = await loadSnapshot(store, snapshot.id);
    const engine = this.host.engine();
    const details = await engine.inspectContainer(workload.id, signal);
    const plan = await planRestore(engine, details, loaded.manifest, signal);
    const usage = await this.host.workloads.volumeUsage(signal).catch(() => []);
    return {
      workload: { id: workload.id, name: workload.name, identity: workload.identity, state: workload.state },
      snapshot: { id: snapshot.id, label: snapshot.label, capturedAt: snapshot.capturedAt, workload: snapshot.workload },
      volumes: plan.volumes.map((v) => ({
        index: v.index,
        target: v.target,
        type: v.type,
        source: v.source,
        bytes: v.bytes,
        files: v.files,
        currentBytes: v.type === 'volume' ? (usage.find((u) => u.name === v.source)?.size ?? -1) : -1,
      })),
      willStop: workload.state === 'running' || workload.state === 'paused' || workload.state === 'restarting',
    };
  }

  async restore(params: RestoreSnapshotParams, ctx: OperationContext): Promise<RestoreSnapshotResult> {
    const store = this.store();
    const engine = this.host.engine();
    return runRestore(
      {
        stateDir: this.host.stateDir,
        engine,
        log: this.log,
        store,
        helperImage: this.host.helperImage(),
        env: this.env,
        ...(this.hooks ? { hooks: this.hooks } : {}),
        resolveWorkload: (ref, signal) => this.host.workloads.resolve(ref, signal),
        resolveSnapshot: async (ref) => {
          const found = await this.resolveSnapshot(store, ref, params.workload);
          return { id: found.id, workloadKey: found.workload.key, label: found.label };
        },
        recoverWorkload: async (key) => {
          await resumeQuiesced(store, () => engine, this.log, emptyRecoveryReport(), key);
          await this.settleLocked(store, key, true);
        },
      },
      params,
      ctx,
    );
  }

  /** The full ID of a snapshot reference (for confirming a restore on the command line). */
  async snapshotId(ref: string, workloadRef: string): Promise<string> {
    return (await this.resolveSnapshot(this.store(), ref, workloadRef)).id;
  }

  /**
   * Finishes a crashed restore of this workload before another operation reads or changes its
   * volumes (capture calls it); throws Conflict when one cannot be finished now.
   */
  async settle(key: string): Promise<void> {
    await this.settleLocked(this.store(), key, false);
  }

  private async settleLocked(store: SnapshotStore, key: string, lockHeld: boolean): Promise<void> {
    const report = await recoverRestores(this.recoveryDeps(store), { onlyKey: key, lockHeld });
    for (const id of await journalIds(this.host.stateDir)) {
      const left = await readJournal(this.host.stateDir, id);
      if (left?.workload.key !== key || (await ownerAlive(left.owner))) continue;
      const entry = report.restores.find((r) => r.id === id);
      // Another process is recovering it right now: that is BUSY, naming who, not a conflict.
      const holder = entry?.outcome === 'skipped-busy' ? await lockHolder(this.host.stateDir, 'workload', key) : undefined;
      if (holder) throw busyError(key, holder);
      const why = entry?.problems.join('; ') ?? '';
      throw new ConflictError(l10n.t('An earlier restore of {0} is not finished and could not be finished now ({1}). Run "berth recover" and try again.', key, why));
    }
  }

  /** The recovery sweep; never throws (problems are in the report). */
  async recover(options: RecoveryOptions = {}): Promise<RecoveryReport> {
    try {
      // Nothing can be recovered without writing the journal and taking the workload's lock
      // (see SnapshotService.recover): on a read-only state directory, report what waits.
      if (!(await stateDirWritable(this.host.stateDir))) {
        const waiting = (await journalIds(this.host.stateDir)).length;
        const problems =
          waiting > 0
            ? [l10n.t('The state directory {0} is read-only: {1} interrupted restore(s) wait for recovery. Make the folder writable and run "berth recover".', echo(this.host.stateDir), waiting)]
            : [];
        for (const p of problems) this.log.warn(p);
        return { restores: [], helpersRemoved: 0, corruptJournals: [], problems, didSomething: false };
      }
      return await recoverRestores(this.recoveryDeps(this.store()), options);
    } catch (error) {
      const message = l10n.t('Restore recovery did not finish: {0}', fsErrorMessage(error, this.host.stateDir));
      this.log.warn(message);
      return { restores: [], helpersRemoved: 0, corruptJournals: [], problems: [message], didSomething: false };
    }
  }

  private recoveryDeps(store: SnapshotStore) {
    return { stateDir: this.host.stateDir, engine: () => this.host.engine(), log: this.log, store, env: this.env, ...(this.hooks ? { hooks: this.hooks } : {}) };
  }

  /**
   * A snapshot by record ID, label or content ID (prefix), resolved by content (restore replaces
   * data with content: records sharing it are the same data) with the one resolver
   * (snapshots/resolve.ts). The workload the restore writes to is its target: a label it shares
   * with other workloads' snapshots names its own record.
   */
  private async resolveSnapshot(store: SnapshotStore, ref: string, workloadRef: string): Promise<CatalogRecord> {
    let key: string | undefined;
    try {
      key = (await this.host.workloads.resolve(workloadRef)).identity.key;
    } catch (error) {
      // The restore itself reports a workload that cannot be found; the snapshot is named anyway.
      if (!(error instanceof BerthError)) throw error;
    }
    const [record] = await resolveSnapshot(store, { id: ref }, 'content', key);
    return record as CatalogRecord;
  }
}
