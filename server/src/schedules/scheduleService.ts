// Scheduled snapshots (docs/schedules.md). The schedules are the union of the `berth.schedules`
// setting (VS Code's backend only) and the CLI's file, one per identity (target + cron). Each
// check, for each schedule: the latest cron slot after the last one taken is due — so a run the
// machine missed while it was off is caught up once, never once per slot. A due slot is claimed
// under the schedule's lock by writing it durably before the snapshot is taken (step
// schedule.claim), so two `schedule run` processes, or the CLI and VS Code, never take the same
// slot twice; the outcome is written after (schedule.record). A target that is busy (its lock is
// held) is skipped and recorded, never queued.
import * as l10n from '@vscode/l10n';
import type { RetentionPolicy, ScheduleEntry, ScheduleInfo, ScheduleRun } from '../../../protocol/src';
import { crashPoint } from '../crash';
import { BerthError, errorMessage } from '../errors';
import { acquireLock } from '../locks';
import type { Log } from '../log';
import { currentOwner } from '../snapshots/liveness';
import { checkEntry, scheduleId } from './entry';
import { latestSlot, nextSlot, parseCron } from './cron';
import { readScheduleFile } from './file';
import { lastRunOf, readRunState, settleDeadRuns, writeRunState, type RunState, type StoredRun } from './runState';

/** What a schedule does to its target; the backend implements it with the snapshot service. */
export interface ScheduleTaker {
  /** A snapshot of a workload, or of a project as one set; Busy when the target is locked. */
  take(entry: ScheduleEntry, schedule: string, signal: AbortSignal): Promise<{ recordIds: string[]; setId?: string }>;
  /** Retention over the target after a successful run; the record IDs removed. */
  prune(entry: ScheduleEntry, policy: RetentionPolicy): Promise<string[]>;
}

export interface ScheduleHost {
  readonly stateDir: string;
  now(): number;
  readonly log: Log;
  readonly taker: ScheduleTaker;
}

/** A schedule from one or both sources, checked. */
export interface ResolvedSchedule {
  readonly id: string;
  readonly entry?: ScheduleEntry;
  readonly source: ScheduleInfo['source'];
  readonly index?: number;
  /** When `schedule add` wrote it (file entries): slots count from then. */
  readonly createdAt?: string;
  readonly problem?: string;
}

export interface ScheduleSources {
  /** The `berth.schedules` setting, unchecked; undefined in the CLI. */
  readonly settings?: unknown;
  /** Whether to read the CLI's file (always, today). */
  readonly file: boolean;
}

export interface RunReport {
  readonly schedule: ScheduleInfo;
  readonly run: ScheduleRun;
}

/** A slot a run gets within; a timer that fires a little late is not a missed run. */
const ON_TIME_MS = 60_000;

export class ScheduleService {
  constructor(private readonly host: ScheduleHost) {}

  /** The schedules of both sources, one per identity, and the problems of the sources. */
  async collect(sources: ScheduleSources): Promise<{ schedules: ResolvedSchedule[]; problems: string[] }> {
    const problems: string[] = [];
    const byId = new Map<string, ResolvedSchedule>();
    const add = (value: unknown, from: 'settings' | 'file', where: string, index?: number, createdAt?: string) => {
      const checked = checkEntry(value);
      const id = checked.entry ? scheduleId(checked.entry.target, checked.entry.cron) : `invalid-${from}-${index ?? where}`;
      const existing = byId.get(id);
      if (existing) {
        // The same identity in both: one schedule. The setting's definition wins in VS Code; a
        // different label, retention or quiesce is worth a warning.
        if (JSON.stringify(existing.entry) !== JSON.stringify(checked.entry)) this.host.log.warn(l10n.t('Schedule {0} ({1}) is defined in the berth.schedules setting and in the schedules file with different options; the setting\'s are used.', id, where));
        byId.set(id, { ...existing, source: 'both', ...(index !== undefined ? { index } : {}), ...(createdAt ? { createdAt } : {}) });
        return;
      }
      byId.set(id, {
        id,
        source: from,
        ...(checked.entry ? { entry: checked.entry } : {}),
        ...(index !== undefined ? { index } : {}),
        ...(createdAt ? { createdAt } : {}),
        ...(checked.problem ? { problem: l10n.t('{0}: {1}', where, checked.problem) } : {}),
      });
    };
    if (sources.settings !== undefined && sources.settings !== null) {
      if (!Array.isArray(sources.settings)) problems.push(l10n.t('The berth.schedules setting must be a list of schedules; it is ignored.'));
      else sources.settings.forEach((value, i) => add(value, 'settings', l10n.t('berth.schedules entry {0}', i + 1)));
    }
    if (sources.file) {
      try {
        (await readScheduleFile(this.host.stateDir)).forEach((e, i) => add(e.value, 'file', l10n.t('schedule {0} of the schedules file', i + 1), i + 1, e.createdAt));
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
    return { schedules: [...byId.values()], problems };
  }

  async list(sources: ScheduleSources): Promise<{ schedules: ScheduleInfo[]; problems: string[] }> {
    const { schedules, problems } = await this.collect(sources);
    const infos: ScheduleInfo[] = [];
    for (const s of schedules) infos.push(await this.info(s));
    return { schedules: infos, problems };
  }

  /** The soonest next slot of all runnable schedules (for the backend's timer). */
  async nextDue(sources: ScheduleSources): Promise<number | undefined> {
    const { schedules } = await this.collect(sources);
    const now = this.host.now();
    const slots = schedules.filter((s) => s.entry && !s.problem).map((s) => nextSlot(parseCron((s.entry as ScheduleEntry).cron), now) ?? Infinity);
    const soonest = Math.min(...slots);
    return Number.isFinite(soonest) ? soonest : undefined;
  }

  /**
   * Runs what is due now, one schedule after another, and returns what ran. `onRun` hears each
   * finished run (the backend's notification).
   */
  async runDue(sources: ScheduleSources, signal: AbortSignal, onRun?: (report: RunReport) => void): Promise<{ reports: RunReport[]; problems: string[] }> {
    const { schedules, problems } = await this.collect(sources);
    for (const s of schedules) if (s.problem) problems.push(s.problem);
    const reports: RunReport[] = [];
    for (const s of schedules) {
      if (!s.entry || s.problem || signal.aborted) continue;
      const run = await this.runIfDue(s, s.entry, signal);
      if (!run) continue;
      const report = { schedule: await this.info(s), run };
      reports.push(report);
      onRun?.(report);
    }
    return { reports, problems };
  }

  private async runIfDue(s: ResolvedSchedule, entry: ScheduleEntry, signal: AbortSignal): Promise<ScheduleRun | undefined> {
    const cron = parseCron(entry.cron);
    const now = this.host.now();
    const state = await readRunState(this.host.stateDir, s.id, this.host.log);
    const since = state?.lastSlot ?? state?.firstSeen ?? s.createdAt;
    if (since === undefined) {
      // First sight of a schedule from the setting: its slots count from now (nothing is "missed"
      // before it existed).
      await this.claim(s.id, (current) => (current ? undefined : { schemaVersion: 1, id: s.id, firstSeen: new Date(now).toISOString(), runs: [] }));
      return undefined;
    }
    const slot = latestSlot(cron, Date.parse(since), now);
    if (slot === undefined) return undefined;
    const slotIso = new Date(slot).toISOString();
    const owner = await currentOwner();
    const started: StoredRun = { slot: slotIso, startedAt: new Date(now).toISOString(), outcome: 'running', owner, ...(now - slot > ON_TIME_MS ? { caughtUp: true } : {}) };
    const claimed = await this.claim(s.id, (current) => {
      // Another process took this slot (or a later one) meanwhile.
      if (current?.lastSlot !== undefined && Date.parse(current.lastSlot) >= slot) return undefined;
      return { schemaVersion: 1, id: s.id, firstSeen: current?.firstSeen ?? since, lastSlot: slotIso, runs: [...(current?.runs ?? []), started] };
    });
    if (!claimed) return undefined;
    crashPoint('schedule.claim');
    this.host.log.info(l10n.t('Schedule {0}: taking the snapshot of {1} for {2}{3}', s.id, entry.target, slotIso, started.caughtUp ? l10n.t(' (missed while nothing ran; caught up once)') : ''));
    const { owner: _owner, ...base } = started;
    let run: ScheduleRun;
    try {
      const taken = await this.host.taker.take(entry, s.id, signal);
      let pruned: string[] = [];
      let retentionProblem: string | undefined;
      if (entry.retention) {
        try {
          pruned = await this.host.taker.prune(entry, entry.retention);
        } catch (error) {
          retentionProblem = errorMessage(error);
        }
      }
      run = {
        ...base,
        finishedAt: new Date(this.host.now()).toISOString(),
        outcome: retentionProblem === undefined ? 'ok' : 'failed',
        recordIds: taken.recordIds,
        ...(taken.setId ? { setId: taken.setId } : {}),
        ...(pruned.length > 0 ? { pruned } : {}),
        ...(retentionProblem !== undefined ? { message: l10n.t('the snapshot was taken, but retention failed: {0}', retentionProblem) } : {}),
      };
    } catch (error) {
      const busy = error instanceof BerthError && error.codeName === 'Busy';
      run = { ...base, finishedAt: new Date(this.host.now()).toISOString(), outcome: busy ? 'skipped-busy' : 'failed', message: errorMessage(error) };
    }
    await this.claim(s.id, (current) => {
      const runs = [...(current?.runs ?? [])];
      const i = runs.findIndex((r) => r.slot === slotIso && r.outcome === 'running' && r.owner?.pid === owner.pid && r.owner.startTime === owner.startTime);
      if (i >= 0) runs[i] = run;
      else runs.push(run);
      return { schemaVersion: 1, id: s.id, firstSeen: current?.firstSeen ?? since, ...(current?.lastSlot ? { lastSlot: current.lastSlot } : { lastSlot: slotIso }), runs };
    }, true);
    crashPoint('schedule.record');
    // Information: a failure reaches the user as the run's report (the CLI's exit 1, VS Code's notification).
    this.host.log.info(l10n.t('Schedule {0} ({1}): {2}{3}', s.id, entry.target, run.outcome, run.message ? ` — ${run.message}` : ''));
    return run;
  }

  /**
   * Read-modify-write of a schedule's run record under its lock. Without `wait`, a lock another
   * process holds means it is claiming this schedule right now: this process leaves it (false).
   */
  private async claim(id: string, change: (current: RunState | undefined) => RunState | undefined, wait = false): Promise<boolean> {
    let lock;
    try {
      lock = await acquireLock(this.host.stateDir, 'workload', `berth:schedule:${id}`, 'schedule', wait ? { wait: true, signal: AbortSignal.timeout(60_000) } : {});
    } catch (error) {
      if (!wait && error instanceof BerthError && error.codeName === 'Busy') return false;
      throw error;
    }
    try {
      const read = await readRunState(this.host.stateDir, id, this.host.log);
      const current = read ? await settleDeadRuns(read) : undefined;
      const next = change(current);
      if (!next) return false;
      await writeRunState(this.host.stateDir, next);
      return true;
    } finally {
      await lock.release();
    }
  }

  private async info(s: ResolvedSchedule): Promise<ScheduleInfo> {
    const state = await readRunState(this.host.stateDir, s.id, this.host.log);
    const settled = state ? await settleDeadRuns(state) : undefined;
    const lastRun = lastRunOf(settled);
    let nextRun: string | undefined;
    if (s.entry && !s.problem) {
      const next = nextSlot(parseCron(s.entry.cron), this.host.now());
      if (next !== undefined) nextRun = new Date(next).toISOString();
    }
    return {
      id: s.id,
      entry: s.entry ?? { target: '?', cron: '?' },
      source: s.source,
      ...(s.index !== undefined ? { index: s.index } : {}),
      ...(nextRun ? { nextRun } : {}),
      ...(lastRun ? { lastRun } : {}),
      ...(s.problem ? { problem: s.problem } : {}),
    };
  }
}
