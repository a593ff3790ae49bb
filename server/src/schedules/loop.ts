// While VS Code is open, its backend runs due schedules (docs/schedules.md): a timer wakes at the
// soonest next slot (at least every minute, so a changed clock or file is noticed, at most once a
// second), runs what is due one after another, and plans again. One check at a time; stopping it
// cancels the running snapshot. `berth schedule run` does the same once, for cron or systemd.
import { errorMessage } from '../errors';
import type { Log } from '../log';
import type { RunReport, ScheduleService, ScheduleSources } from './scheduleService';

export interface LoopTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: LoopTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The timer alone must not keep the backend process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class ScheduleLoop {
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly abort = new AbortController();

  constructor(
    private readonly service: ScheduleService,
    private readonly sources: () => ScheduleSources,
    private readonly now: () => number,
    private readonly log: Log,
    private readonly onRun: (report: RunReport) => void,
    private readonly timers: LoopTimers = realTimers,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.plan(0);
  }

  /** The sources changed (settings): check now and plan again. */
  poke(): void {
    if (this.stopped) return;
    this.plan(0);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One check, now (tests call it; the timer calls it). Never throws. */
  async check(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.service.runDue(this.sources(), this.abort.signal, (report) => this.onRun(report));
      } catch (error) {
        this.log.warn(`Scheduled snapshots: ${errorMessage(error)}`);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private plan(delayMs: number): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.check().then(async () => {
        if (this.stopped) return;
        const next = await this.service.nextDue(this.sources()).catch(() => undefined);
        const wait = next === undefined ? 60_000 : Math.min(60_000, Math.max(1_000, next - this.now()));
        if (!this.stopped) this.plan(wait);
      });
    }, delayMs);
  }
}
