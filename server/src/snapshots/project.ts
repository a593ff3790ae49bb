// A project snapshot: one consistent set of a compose project's services (docs/snapshots.md,
// "Project snapshots"). Every service is locked first, their pre-snapshot hooks run, then every
// service with data is quiesced (paused, or stopped per the quiesce setting) in reverse
// dependency order — dependents first, from compose's depends_on label — before any capture
// starts; all members are read while all are still; then all are released together in
// dependency order (always, in `finally`; each keeps its own quiesce journal, so a crash never
// leaves one paused), and the post-snapshot hooks run. Only when every member has read its data
// does any member commit: each is an ordinary content-addressed snapshot record (so unchanged
// services share their stored data) carrying the set's ID and its size. Named steps (crash seams):
//   project.lock → project.hooks → project.quiesce → project.read → project.resume → project.commit
// and within them each member's capture.journal, capture.quiesce, capture.read-volume,
// capture.resume, capture.write-manifest, capture.commit and capture.catalog.
import { rm } from 'node:fs/promises';
import * as l10n from '@vscode/l10n';
import type { HookOutcome, QuiesceMode, SnapshotSetRef, Workload } from '../../../protocol/src';
import { crashPoint } from '../crash';
import type { Engine } from '../engine/engine';
import { echo } from '../echo';
import { errorMessage, NotFoundError, OperationFailedError } from '../errors';
import { OperationHooks } from '../hooks/operationHooks';
import type { Log } from '../log';
import type { OperationContext } from '../operation';
import { composeDependsOn, composeServiceOf } from '../workloads/identity';
import { captureInto, prepareCapture, type CaptureOutcome, type PreparedCapture } from './capture';
import { quiesce, type Quiesced } from './quiesce';
import { newSetId } from './recordIds';
import type { SnapshotStore } from './store';

export interface ProjectCaptureOptions {
  readonly label: string;
  readonly quiesce: QuiesceMode;
  /** Set when a schedule takes the set. */
  readonly schedule?: string;
}

export interface ProjectCaptureOutcome {
  readonly set: { readonly id: string; readonly project: string };
  /** One per service with data, in dependency order. */
  readonly members: CaptureOutcome[];
  /** Services that hold no volume to capture (locked and hooked, not quiesced). */
  readonly withoutData: string[];
  readonly warnings: string[];
  readonly hooks: HookOutcome[];
}

/** The project's containers, in the order compose starts them (dependencies first). */
export function startOrder<T extends { readonly workload: Workload }>(members: readonly T[], warn: (message: string) => void = () => undefined): T[] {
  const byService = new Map<string, T>();
  for (const m of members) byService.set(composeServiceOf(m.workload.labels) ?? m.workload.name, m);
  const sorted = [...members].sort((a, b) => (a.workload.identity.key < b.workload.identity.key ? -1 : 1));
  const out: T[] = [];
  const state = new Map<T, 'visiting' | 'done'>();
  let cycle = false;
  const visit = (m: T) => {
    const s = state.get(m);
    if (s === 'done') return;
    if (s === 'visiting') {
      cycle = true;
      return;
    }
    state.set(m, 'visiting');
    for (const dep of composeDependsOn(m.workload.labels).sort()) {
      const d = byService.get(dep);
      if (d && d !== m) visit(d);
    }
    state.set(m, 'done');
    out.push(m);
  };
  for (const m of sorted) visit(m);
  if (cycle) warn(l10n.t('The depends_on labels of the project form a cycle; its services are quiesced in name order where the cycle leaves no order.'));
  return out;
}

/** Settles once every member has arrived (read its data, failed, or never started). */
class Arrivals {
  private readonly arrived = new Set<number>();
  private resolve!: () => void;
  readonly all = new Promise<void>((r) => (this.resolve = r));
  constructor(private readonly count: number) {
    if (count === 0) this.resolve();
  }
  arrive(i: number): void {
    this.arrived.add(i);
    if (this.arrived.size >= this.count) this.resolve();
  }
}

/**
 * Holds members before their commit: it opens only when every member has written its data and
 * the project has been released cleanly; any failure fails every member still waiting.
 */
class CommitGate {
  private readonly waiting = new Set<number>();
  private opened = false;
  private failure: unknown;
  private listeners: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  constructor(private readonly count: number) {}

  wait(i: number): Promise<void> {
    this.waiting.add(i);
    return new Promise<void>((resolve, reject) => {
      this.listeners.push({ resolve, reject });
      this.settle();
    });
  }
  open(): void {
    this.opened = true;
    this.settle();
  }
  fail(error: unknown): void {
    this.failure ??= error;
    this.settle();
  }
  private settle(): void {
    if (this.failure !== undefined) {
      for (const l of this.listeners.splice(0)) l.reject(this.failure);
    } else if (this.opened && this.waiting.size >= this.count) {
      for (const l of this.listeners.splice(0)) l.resolve();
    }
  }
}

/** Captures every service of `project` as one set. `members` are the project's containers. */
export async function captureProject(
  store: SnapshotStore,
  engine: Engine,
  log: Log,
  project: string,
  members: readonly Workload[],
  options: ProjectCaptureOptions,
  ctx: OperationContext,
): Promise<ProjectCaptureOutcome> {
  if (members.length === 0) {
    throw new NotFoundError(l10n.t('No containers of the compose project {0}. Run "berth workloads list" to see the projects.', echo(project)));
  }
  const warnings: string[] = [];
  // Locks in one global order (identity keys sorted), so two project captures never deadlock;
  // a member another operation holds makes the whole set Busy at once.
  const prepared: PreparedCapture[] = [];
  try {
    for (const w of [...members].sort((a, b) => (a.identity.key < b.identity.key ? -1 : 1))) {
      ctx.progress.report(l10n.t('Preparing {0}', w.name));
      prepared.push(await prepareCapture(store, engine, log, w, ctx, { allowEmpty: true }));
    }
  } catch (error) {
    for (const p of prepared) await p.lock.release();
    throw error;
  }
  const temps: string[] = [];
  try {
    crashPoint('project.lock');
    const order = startOrder(prepared, (m) => warnings.push(m));
    const capturing = order.filter((p) => p.planned.length > 0);
    const withoutData = order.filter((p) => p.planned.length === 0).map((p) => p.workload.identity.key);
    if (capturing.length === 0) {
      throw new OperationFailedError(l10n.t('No service of the compose project {0} has a named volume or bind mount to snapshot.', echo(project)));
    }
    const setId = newSetId(new Date().toISOString());
    const hooks = new OperationHooks(
      engine,
      [...order].reverse().map((p) => ({ target: { containerId: p.details.Id, key: p.workload.identity.key, name: p.workload.name }, hooks: p.hooks })),
      { pre: 'pre-snapshot', post: 'post-snapshot' },
      log,
      (m) => ctx.progress.report(m),
    );
    for (let i = 0; i < capturing.length; i++) temps.push(await store.createTempDir('capture'));
    const results = await holdAndRead(store, engine, log, capturing, temps, setId, project, options, hooks, ctx);
    crashPoint('project.commit');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const members_ = results.filter((r): r is PromiseFulfilledResult<CaptureOutcome> => r.status === 'fulfilled').map((r) => r.value);
    if (failed.length > 0) {
      const first = failed.map((f) => f.reason as unknown).find((e) => !(e instanceof SetAbandoned)) ?? failed[0]?.reason;
      if (members_.length > 0) {
        // A member's commit failed after others committed: the set is incomplete, and says so.
        const kept = members_.map((m) => m.record.recordId).join(', ');
        throw new OperationFailedError(l10n.t('The project snapshot {0} is incomplete: {1} of {2} services were stored ({3}); the rest failed: {4}', setId, members_.length, capturing.length, kept, errorMessage(first)));
      }
      throw first;
    }
    return { set: { id: setId, project }, members: members_, withoutData, warnings: [...warnings, ...hooks.warnings, ...members_.flatMap((m) => m.warnings)], hooks: hooks.outcomes };
  } finally {
    for (const t of temps) await rm(t, { recursive: true, force: true });
    for (const p of prepared) await p.lock.release();
  }
}

/** Thrown into members that wait at the gate when another member failed: the set is abandoned. */
class SetAbandoned extends Error {}

async function holdAndRead(
  store: SnapshotStore,
  engine: Engine,
  log: Log,
  capturing: readonly PreparedCapture[],
  temps: readonly string[],
  setId: string,
  project: string,
  options: ProjectCaptureOptions,
  hooks: OperationHooks,
  ctx: OperationContext,
): Promise<PromiseSettledResult<CaptureOutcome>[]> {
  const held = new Map<number, Quiesced>();
  const gate = new CommitGate(capturing.length);
  let reads: Promise<CaptureOutcome>[] = [];
  const releaseProblems: string[] = [];
  try {
    await hooks.pre(ctx.signal);
    crashPoint('project.hooks');
    // Dependents first, so nothing is left running against a service that is already still.
    for (let i = capturing.length - 1; i >= 0; i--) {
      const p = capturing[i] as PreparedCapture;
      ctx.progress.report(l10n.t('Quiescing {0}', p.workload.name));
      held.set(i, await quiesce(engine, store.layout, p.workload.identity.key, p.details.Id, options.quiesce, ctx.signal));
    }
    crashPoint('project.quiesce');
    const arrivals = new Arrivals(capturing.length);
    reads = capturing.map((p, i) => {
      const name = p.workload.name;
      const member: SnapshotSetRef = { id: setId, project, service: serviceOf(p.workload, project), members: capturing.length };
      const memberCtx: OperationContext = { signal: ctx.signal, progress: { report: (m) => ctx.progress.report(`${name}: ${m}`) } };
      const source = {
        containerId: p.details.Id,
        // Already still: the project holds every member and releases them together.
        hold: async (): Promise<Quiesced> => ({ applied: (held.get(i) as Quiesced).applied, resume: async () => arrivals.arrive(i) }),
      };
      const read = captureInto(temps[i] as string, store, engine, p.workload, source, p.planned, [...p.skippedMounts], {
        label: options.label,
        quiesce: options.quiesce,
        set: member,
        ...(options.schedule !== undefined ? { schedule: options.schedule } : {}),
        beforeCommit: () => gate.wait(i),
      }, memberCtx);
      read.then(
        () => undefined,
        (error: unknown) => {
          arrivals.arrive(i);
          gate.fail(error instanceof SetAbandoned ? error : new SetAbandoned(errorMessage(error)));
        },
      );
      return read;
    });
    await arrivals.all;
    crashPoint('project.read');
  } finally {
    // Released together, dependencies first (compose's start order), whatever happened.
    for (let i = 0; i < capturing.length; i++) {
      const q = held.get(i);
      if (!q) continue;
      ctx.progress.report(l10n.t('Resuming {0}', (capturing[i] as PreparedCapture).workload.name));
      await q.resume().catch((error: unknown) => releaseProblems.push(`${(capturing[i] as PreparedCapture).workload.name}: ${errorMessage(error)}`));
    }
    if (held.size > 0) crashPoint('project.resume');
    await hooks.post();
    const failure = releaseProblems.length > 0
      ? new OperationFailedError(l10n.t('Could not resume every service ({0}); the quiesce journals stay, and the next start of Berth (or "berth recover") resumes them.', releaseProblems.join('; ')))
      : hooks.postFailure();
    if (failure) gate.fail(failure);
    else gate.open();
  }
  return Promise.allSettled(reads);
}

/** The member's service (with its replica number after the first), e.g. `db` or `web#2`. */
function serviceOf(workload: Workload, project: string): string {
  const prefix = `compose:${project}/`;
  return workload.identity.key.startsWith(prefix) ? workload.identity.key.slice(prefix.length) : (composeServiceOf(workload.labels) ?? workload.name);
}
