// Schedules with an injected clock (server/src/schedules/): due, missed (caught up once),
// overlapping runs (the target busy: skipped and recorded, never queued), two checks at once
// (a slot is taken once), the union of the setting and the file, bad entries, a run a crash
// interrupted, damaged records. The taker is a fake; its busy target is a real workload lock.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RetentionPolicy, ScheduleEntry } from '../../protocol/src';
import { BusyError, NotFoundError } from '../../server/src/errors';
import { acquireLock } from '../../server/src/locks';
import type { Log } from '../../server/src/log';
import { scheduleId } from '../../server/src/schedules/entry';
import { addScheduleEntry, readScheduleFile, removeScheduleEntry, schedulesFile } from '../../server/src/schedules/file';
import { ScheduleLoop } from '../../server/src/schedules/loop';
import { ScheduleService, type ScheduleSources, type ScheduleTaker } from '../../server/src/schedules/scheduleService';

process.env.TZ = 'UTC';
const at = (iso: string) => Date.parse(iso);

interface Taken {
  readonly target: string;
  readonly schedule: string;
  readonly when: number;
}

/** A fake taker: records what it took; `hold` makes a take wait (holding the target's lock). */
class FakeTaker implements ScheduleTaker {
  readonly taken: Taken[] = [];
  readonly pruned: RetentionPolicy[] = [];
  hold: Promise<void> | undefined;
  failWith: Error | undefined;
  pruneFails = false;
  constructor(private readonly stateDir: string, private readonly clock: { now: number }) {}

  async take(entry: ScheduleEntry, schedule: string): Promise<{ recordIds: string[] }> {
    if (this.failWith) throw this.failWith;
    // The target's lock, as a capture takes it: Busy at once when another operation holds it.
    const lock = await acquireLock(this.stateDir, 'workload', entry.target, 'capture');
    try {
      this.taken.push({ target: entry.target, schedule, when: this.clock.now });
      if (this.hold) await this.hold;
      return { recordIds: [`rec-${this.taken.length}`] };
    } finally {
      await lock.release();
    }
  }

  async prune(_entry: ScheduleEntry, policy: RetentionPolicy): Promise<string[]> {
    if (this.pruneFails) throw new Error('the disk is full');
    this.pruned.push(policy);
    return ['old-1'];
  }
}

function world(root: string, name: string) {
  const stateDir = join(root, name);
  mkdirSync(stateDir, { recursive: true });
  const clock = { now: at('2026-01-01T00:00:00Z') };
  const warnings: string[] = [];
  const log: Log = { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const taker = new FakeTaker(stateDir, clock);
  const service = new ScheduleService({ stateDir, now: () => clock.now, log, taker });
  const signal = new AbortController().signal;
  const run = async (sources: ScheduleSources = { file: true }) => (await service.runDue(sources, signal)).reports.map((r) => r.run);
  return { stateDir, clock, warnings, taker, service, run };
}

describe('schedules: due, missed, overlapping, busy, concurrent', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-schedules-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('runs a slot once when it is due, and not again until the next slot', async () => {
    const w = world(root, 'due');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    w.clock.now = at('2026-01-01T02:59:59Z');
    assert.deepEqual(await w.run(), [], 'not yet');
    w.clock.now = at('2026-01-01T03:00:20Z');
    const [run] = await w.run();
    assert.equal(run?.outcome, 'ok');
    assert.equal(run?.slot, '2026-01-01T03:00:00.000Z');
    assert.equal(run?.caughtUp, undefined, 'on time');
    assert.deepEqual(run?.recordIds, ['rec-1']);
    assert.deepEqual(await w.run(), [], 'the slot is taken');
    w.clock.now = at('2026-01-02T03:00:05Z');
    assert.equal((await w.run())[0]?.slot, '2026-01-02T03:00:00.000Z');
    assert.equal(w.taker.taken.length, 2);
    assert.equal(w.taker.taken[0]?.schedule, scheduleId('compose:shop/db', '0 3 * * *'), 'the snapshot carries the schedule');
    const [info] = (await w.service.list({ file: true })).schedules;
    assert.equal(info?.nextRun, '2026-01-03T03:00:00.000Z');
    assert.equal(info?.lastRun?.outcome, 'ok');
  });

  it('catches up a run the machine missed once, not once per missed slot', async () => {
    const w = world(root, 'missed');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    w.clock.now = at('2026-01-01T03:00:10Z');
    await w.run();
    // Off for five days.
    w.clock.now = at('2026-01-06T10:00:00Z');
    const runs = await w.run();
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.slot, '2026-01-06T03:00:00.000Z', 'the latest missed slot');
    assert.equal(runs[0]?.caughtUp, true);
    w.clock.now = at('2026-01-06T11:00:00Z');
    assert.deepEqual(await w.run(), []);
    assert.equal(w.taker.taken.length, 2);
  });

  it('a schedule counts from when it was added: a slot before that is not missed', async () => {
    const w = world(root, 'created');
    w.clock.now = at('2026-01-01T05:00:00Z');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    w.clock.now = at('2026-01-01T06:00:00Z');
    assert.deepEqual(await w.run(), []);
  });

  it('a schedule from the setting counts from when the backend first sees it', async () => {
    const w = world(root, 'settings');
    const settings = [{ target: 'container:web', cron: '*/15 * * * *' }];
    w.clock.now = at('2026-01-01T00:07:00Z');
    assert.deepEqual(await w.run({ settings, file: false }), [], 'first sight: nothing is missed');
    w.clock.now = at('2026-01-01T00:15:01Z');
    assert.equal((await w.run({ settings, file: false }))[0]?.slot, '2026-01-01T00:15:00.000Z');
  });

  it('a busy target is skipped and recorded, not queued; the next slot runs', async () => {
    const w = world(root, 'busy');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 * * * *' }, w.clock.now);
    const lock = await acquireLock(w.stateDir, 'workload', 'compose:shop/db', 'restore');
    w.clock.now = at('2026-01-01T01:00:30Z');
    const [skipped] = await w.run();
    await lock.release();
    assert.equal(skipped?.outcome, 'skipped-busy');
    assert.match(skipped?.message ?? '', /busy: a restore/);
    w.clock.now = at('2026-01-01T01:30:00Z');
    assert.deepEqual(await w.run(), [], 'not queued: the skipped slot does not run later');
    w.clock.now = at('2026-01-01T02:00:10Z');
    assert.equal((await w.run())[0]?.outcome, 'ok');
    assert.equal((await w.service.list({ file: true })).schedules[0]?.lastRun?.outcome, 'ok');
  });

  it('overlapping: a run still going when the next slot comes makes that slot skip (target busy), recorded', async () => {
    const w = world(root, 'overlap');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '*/5 * * * *' }, w.clock.now);
    let release!: () => void;
    w.taker.hold = new Promise((r) => (release = r));
    w.clock.now = at('2026-01-01T00:05:01Z');
    const first = w.run();
    while (w.taker.taken.length === 0) await new Promise((r) => setTimeout(r, 5));
    // The first run still holds the target when the 00:10 slot comes: a second checker (another
    // `schedule run`, or the loop's next tick) takes that slot and finds the target busy.
    w.taker.hold = undefined;
    w.clock.now = at('2026-01-01T00:10:02Z');
    const [second] = await w.run();
    assert.equal(second?.slot, '2026-01-01T00:10:00.000Z');
    assert.equal(second?.outcome, 'skipped-busy');
    release();
    assert.equal((await first)[0]?.outcome, 'ok');
    assert.equal(w.taker.taken.length, 1, 'one snapshot, not two');
    const runs = JSON.parse(readFileSync(join(w.stateDir, 'schedules', 'runs', `${scheduleId('compose:shop/db', '*/5 * * * *')}.json`), 'utf8')) as { runs: { slot: string; outcome: string }[] };
    assert.deepEqual(runs.runs.map((r) => [r.slot, r.outcome]), [['2026-01-01T00:05:00.000Z', 'ok'], ['2026-01-01T00:10:00.000Z', 'skipped-busy']]);
    assert.deepEqual(await w.run(), [], 'neither slot runs again');
  });

  it('two checks at once take the slot once', async () => {
    const w = world(root, 'twice');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    w.clock.now = at('2026-01-01T03:00:01Z');
    const results = await Promise.all([w.run(), w.run(), w.run()]);
    assert.equal(results.flat().length, 1);
    assert.equal(w.taker.taken.length, 1);
  });

  it('applies the schedule\'s retention after a successful run; a failed retention fails the run', async () => {
    const w = world(root, 'retention');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *', retention: { daily: 7, weekly: 4 } }, w.clock.now);
    w.clock.now = at('2026-01-01T03:00:01Z');
    const [ok] = await w.run();
    assert.deepEqual(ok?.pruned, ['old-1']);
    assert.deepEqual(w.taker.pruned, [{ daily: 7, weekly: 4 }]);
    w.taker.pruneFails = true;
    w.clock.now = at('2026-01-02T03:00:01Z');
    const [failed] = await w.run();
    assert.equal(failed?.outcome, 'failed');
    assert.match(failed?.message ?? '', /snapshot was taken, but retention failed: the disk is full/);
  });

  it('a failed run is recorded with its reason; the slot is not retried', async () => {
    const w = world(root, 'failed');
    await addScheduleEntry(w.stateDir, { target: 'compose:gone/db', cron: '0 3 * * *' }, w.clock.now);
    w.taker.failWith = new NotFoundError('No workload named "compose:gone/db".');
    w.clock.now = at('2026-01-01T03:00:01Z');
    const [failed] = await w.run();
    assert.equal(failed?.outcome, 'failed');
    assert.match(failed?.message ?? '', /No workload named/);
    assert.deepEqual(await w.run(), []);
  });

  it('a run whose process died shows as interrupted, and its slot is not taken again', async () => {
    const w = world(root, 'interrupted');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    const id = scheduleId('compose:shop/db', '0 3 * * *');
    mkdirSync(join(w.stateDir, 'schedules', 'runs'), { recursive: true });
    writeFileSync(
      join(w.stateDir, 'schedules', 'runs', `${id}.json`),
      JSON.stringify({ schemaVersion: 1, id, firstSeen: '2026-01-01T00:00:00.000Z', lastSlot: '2026-01-01T03:00:00.000Z', runs: [{ slot: '2026-01-01T03:00:00.000Z', startedAt: '2026-01-01T03:00:01.000Z', outcome: 'running', owner: { pid: 2 ** 22 + 7, startTime: '1', host: (await import('node:os')).hostname() } }] }),
    );
    w.clock.now = at('2026-01-01T04:00:00Z');
    assert.deepEqual(await w.run(), []);
    const info = (await w.service.list({ file: true })).schedules[0];
    assert.equal(info?.lastRun?.outcome, 'interrupted');
  });

  it('the loop checks, and plans its next wake-up at the next slot', async () => {
    const w = world(root, 'loop');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    w.clock.now = at('2026-01-01T03:00:01Z');
    const planned: number[] = [];
    const reports: string[] = [];
    let pending: (() => void) | undefined;
    const loop = new ScheduleLoop(w.service, () => ({ file: true }), () => w.clock.now, { info: () => undefined, warn: () => undefined, error: () => undefined }, (r) => reports.push(r.run.outcome), {
      setTimeout: (fn, ms) => {
        planned.push(ms);
        pending = fn;
        return planned.length;
      },
      clearTimeout: () => undefined,
    });
    loop.start();
    assert.deepEqual(planned, [0]);
    pending?.();
    for (let i = 0; i < 200 && planned.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(reports, ['ok']);
    assert.equal(planned[1], 60_000, 'the next slot is a day away: wake within a minute anyway');
    loop.stop();
  });
});

describe('schedules: sources and bad entries', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-schedules-src-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the setting and the file are one union by identity', async () => {
    const w = world(root, 'union');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    await addScheduleEntry(w.stateDir, { target: 'project:shop', cron: '@daily' }, w.clock.now);
    const settings = [{ target: 'compose:shop/db', cron: '0  3 * * *', label: 'nightly' }, { target: 'container:web', cron: '@hourly' }];
    const { schedules } = await w.service.list({ settings, file: true });
    assert.deepEqual(schedules.map((s) => [s.entry.target, s.source, s.index]).sort(), [['compose:shop/db', 'both', 1], ['container:web', 'settings', undefined], ['project:shop', 'file', 2]].sort());
    assert.equal(schedules.find((s) => s.source === 'both')?.entry.label, 'nightly', 'the setting\'s definition wins');
    assert.ok(w.warnings.some((m) => /different options/.test(m)));
    w.clock.now = at('2026-01-01T03:00:01Z');
    const runs = await w.run({ settings, file: true });
    assert.equal(runs.length, 1, 'the shared schedule runs once (the others are not due)');
  });

  it('reports entries it cannot run, with the reason, and runs the others', async () => {
    const w = world(root, 'bad');
    const settings = [{ target: 'compose:a/b', cron: '61 * * * *' }, { target: 'x', cron: '@daily', retention: { daily: 0 } }, { cron: '@daily' }, 'nonsense', { target: 'container:ok', cron: '* * * * *' }];
    const { schedules } = await w.service.list({ settings, file: false });
    const problems = schedules.filter((s) => s.problem).map((s) => s.problem);
    assert.equal(problems.length, 4);
    assert.match(problems[0] ?? '', /entry 1: The cron expression "61 \* \* \* \*" is not valid: Invalid value for minute: 61/);
    assert.match(problems.join('\n'), /"target"/);
    const notAList = await w.service.list({ settings: { target: 'x' }, file: false });
    assert.match(notAList.problems[0] ?? '', /must be a list/);
  });

  it('the file: add refuses a duplicate, remove by number; a damaged file is never overwritten', async () => {
    const w = world(root, 'file');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    await assert.rejects(addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3  * * *' }, w.clock.now), /already scheduled/);
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/web', cron: '0 4 * * *' }, w.clock.now);
    await removeScheduleEntry(w.stateDir, '1');
    assert.deepEqual((await readScheduleFile(w.stateDir)).map((e) => (e.value as ScheduleEntry).target), ['compose:shop/web']);
    await assert.rejects(removeScheduleEntry(w.stateDir, '7'), NotFoundError);
    writeFileSync(schedulesFile(w.stateDir), '{"schemaVersion":1,"schedules":[{"target"');
    await assert.rejects(addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now), /cannot be read .* leaves it as it is/);
    assert.equal(readFileSync(schedulesFile(w.stateDir), 'utf8'), '{"schemaVersion":1,"schedules":[{"target"', 'untouched');
    assert.match((await w.service.list({ file: true })).problems[0] ?? '', /cannot be read/);
  });

  it('a damaged run record is set aside (kept) and a new one started', async () => {
    const w = world(root, 'damaged');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    const id = scheduleId('compose:shop/db', '0 3 * * *');
    const dir = join(w.stateDir, 'schedules', 'runs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${id}.json`), 'not json');
    w.clock.now = at('2026-01-01T03:00:01Z');
    assert.equal((await w.run()).length, 1);
    assert.ok(readdirSync(dir).some((f) => f.startsWith(`${id}.json.corrupt-`)), 'the damaged record is kept');
    assert.ok(w.warnings.some((m) => /could not be read/.test(m)));
  });

  it('BusyError from the taker is skipped-busy; other errors are failed', async () => {
    const w = world(root, 'kinds');
    await addScheduleEntry(w.stateDir, { target: 'compose:shop/db', cron: '0 3 * * *' }, w.clock.now);
    w.taker.failWith = new BusyError('compose:shop/db is busy');
    w.clock.now = at('2026-01-01T03:00:01Z');
    assert.equal((await w.run())[0]?.outcome, 'skipped-busy');
  });
});
