// Calendar retention against restic's documented behaviour: the timestamps restic's own policy
// tests use (internal/data/snapshot_policy_test.go, 2014-08 to 2016-01, spanning two years) and
// the kept snapshots and reasons of its golden files, for every bucket policy those tests cover;
// the examples of restic's documentation ("Removing snapshots according to a policy"); and what
// Berth adds (pinned, recent safety copies and hand-given labels always kept; sets as units).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RetentionPolicy, RetentionReason } from '../../protocol/src';
import { applyRetention, formatDuration, parseDuration, utcCalendar, type RetentionUnit } from '../../server/src/snapshots/retention';
import { decideUnits, projectUnits, workloadUnits } from '../../server/src/snapshots/retentionUnits';
import type { CatalogRecord } from '../../server/src/snapshots/catalog';

/** restic's test snapshots (UTC), duplicates included (five at 2015-10-22 10:20:30). */
const RESTIC_TIMES = [
  "2014-09-01 10:20:30", "2014-09-02 10:20:30", "2014-09-05 10:20:30", "2014-09-06 10:20:30", "2014-09-08 10:20:30",
  "2014-09-09 10:20:30", "2014-09-10 10:20:30", "2014-09-11 10:20:30", "2014-09-20 10:20:30", "2014-09-22 10:20:30",
  "2014-08-08 10:20:30", "2014-08-10 10:20:30", "2014-08-12 10:20:30", "2014-08-13 10:20:30", "2014-08-13 10:20:30.1",
  "2014-08-15 10:20:30", "2014-08-18 10:20:30", "2014-08-20 10:20:30", "2014-08-21 10:20:30", "2014-08-22 10:20:30",
  "2014-10-01 10:20:30", "2014-10-02 10:20:30", "2014-10-05 10:20:30", "2014-10-06 10:20:30", "2014-10-08 10:20:30",
  "2014-10-09 10:20:30", "2014-10-10 10:20:30", "2014-10-11 10:20:30", "2014-10-20 10:20:30", "2014-10-22 10:20:30",
  "2014-11-08 10:20:30", "2014-11-10 10:20:30", "2014-11-12 10:20:30", "2014-11-13 10:20:30", "2014-11-13 10:20:30.1",
  "2014-11-15 10:20:30", "2014-11-18 10:20:30", "2014-11-20 10:20:30", "2014-11-21 10:20:30", "2014-11-22 10:20:30",
  "2015-09-01 10:20:30", "2015-09-02 10:20:30", "2015-09-05 10:20:30", "2015-09-06 10:20:30", "2015-09-08 10:20:30",
  "2015-09-09 10:20:30", "2015-09-10 10:20:30", "2015-09-11 10:20:30", "2015-09-20 10:20:30", "2015-09-22 10:20:30",
  "2015-08-08 10:20:30", "2015-08-10 10:20:30", "2015-08-12 10:20:30", "2015-08-13 10:20:30", "2015-08-13 10:20:30.1",
  "2015-08-15 10:20:30", "2015-08-18 10:20:30", "2015-08-20 10:20:30", "2015-08-21 10:20:30", "2015-08-22 10:20:30",
  "2015-10-01 10:20:30", "2015-10-02 10:20:30", "2015-10-05 10:20:30", "2015-10-06 10:20:30", "2015-10-08 10:20:30",
  "2015-10-09 10:20:30", "2015-10-10 10:20:30", "2015-10-11 10:20:30", "2015-10-20 10:20:30", "2015-10-22 10:20:30",
  "2015-10-22 10:20:30", "2015-10-22 10:20:30", "2015-10-22 10:20:30", "2015-10-22 10:20:30", "2015-11-08 10:20:30",
  "2015-11-10 10:20:30", "2015-11-12 10:20:30", "2015-11-13 10:20:30", "2015-11-13 10:20:30.1", "2015-11-15 10:20:30",
  "2015-11-18 10:20:30", "2015-11-20 10:20:30", "2015-11-21 10:20:30", "2015-11-22 10:20:30", "2016-01-01 01:02:03",
  "2016-01-01 01:03:03", "2016-01-01 07:08:03", "2016-01-03 07:02:03", "2016-01-04 10:23:03", "2016-01-04 11:23:03",
  "2016-01-04 12:23:03", "2016-01-04 12:24:03", "2016-01-04 12:28:03", "2016-01-04 12:30:03", "2016-01-04 16:23:03",
  "2016-01-05 09:02:03", "2016-01-06 08:02:03", "2016-01-07 10:02:03", "2016-01-08 20:02:03", "2016-01-09 21:02:03",
  "2016-01-12 21:02:03", "2016-01-12 21:08:03", "2016-01-18 12:02:03",
];

/** "2016-01-04 12:30:03" (UTC) → ms. */
const at = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`);
const show = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '').replace(/\.000$/, '');
const reasonWord = (r: RetentionReason) => (r.rule === 'within' ? `within ${r.duration}` : `${r.oldest ? 'oldest ' : ''}${r.rule}`);

function units(times: readonly string[]): RetentionUnit[] {
  return times.map((t, i) => ({ id: `u${String(i).padStart(3, '0')}`, time: at(t), pinned: false, safetyCopy: false, labelled: false }));
}

/** The kept units as "time reasons", newest first (restic's golden files list them so). */
function kept(list: readonly RetentionUnit[], policy: RetentionPolicy, now = at('2026-06-01 00:00:00')): string[] {
  return applyRetention(list, policy, now, utcCalendar)
    .filter((d) => d.keep)
    .map((d) => `${show(d.unit.time)} ${d.reasons.map(reasonWord).join('+')}`);
}

const BUCKET_CASES: readonly (readonly [RetentionPolicy, readonly string[]])[] = [
  [{ last: 10 }, ["2016-01-18 12:02:03 last", "2016-01-12 21:08:03 last", "2016-01-12 21:02:03 last", "2016-01-09 21:02:03 last", "2016-01-08 20:02:03 last", "2016-01-07 10:02:03 last", "2016-01-06 08:02:03 last", "2016-01-05 09:02:03 last", "2016-01-04 16:23:03 last", "2016-01-04 12:30:03 last"]],
  [{ hourly: 20 }, ["2016-01-18 12:02:03 hourly", "2016-01-12 21:08:03 hourly", "2016-01-09 21:02:03 hourly", "2016-01-08 20:02:03 hourly", "2016-01-07 10:02:03 hourly", "2016-01-06 08:02:03 hourly", "2016-01-05 09:02:03 hourly", "2016-01-04 16:23:03 hourly", "2016-01-04 12:30:03 hourly", "2016-01-04 11:23:03 hourly", "2016-01-04 10:23:03 hourly", "2016-01-03 07:02:03 hourly", "2016-01-01 07:08:03 hourly", "2016-01-01 01:03:03 hourly", "2015-11-22 10:20:30 hourly", "2015-11-21 10:20:30 hourly", "2015-11-20 10:20:30 hourly", "2015-11-18 10:20:30 hourly", "2015-11-15 10:20:30 hourly", "2015-11-13 10:20:30.100 hourly"]],
  [{ daily: 3 }, ["2016-01-18 12:02:03 daily", "2016-01-12 21:08:03 daily", "2016-01-09 21:02:03 daily"]],
  [{ daily: 10 }, ["2016-01-18 12:02:03 daily", "2016-01-12 21:08:03 daily", "2016-01-09 21:02:03 daily", "2016-01-08 20:02:03 daily", "2016-01-07 10:02:03 daily", "2016-01-06 08:02:03 daily", "2016-01-05 09:02:03 daily", "2016-01-04 16:23:03 daily", "2016-01-03 07:02:03 daily", "2016-01-01 07:08:03 daily"]],
  [{ last: 5, daily: 5 }, ["2016-01-18 12:02:03 last+daily", "2016-01-12 21:08:03 last+daily", "2016-01-12 21:02:03 last", "2016-01-09 21:02:03 last+daily", "2016-01-08 20:02:03 last+daily", "2016-01-07 10:02:03 daily"]],
  [{ last: 2, daily: 10 }, ["2016-01-18 12:02:03 last+daily", "2016-01-12 21:08:03 last+daily", "2016-01-09 21:02:03 daily", "2016-01-08 20:02:03 daily", "2016-01-07 10:02:03 daily", "2016-01-06 08:02:03 daily", "2016-01-05 09:02:03 daily", "2016-01-04 16:23:03 daily", "2016-01-03 07:02:03 daily", "2016-01-01 07:08:03 daily"]],
  [{ weekly: 2 }, ["2016-01-18 12:02:03 weekly", "2016-01-12 21:08:03 weekly"]],
  [{ weekly: 4 }, ["2016-01-18 12:02:03 weekly", "2016-01-12 21:08:03 weekly", "2016-01-09 21:02:03 weekly", "2016-01-03 07:02:03 weekly"]],
  [{ daily: 3, weekly: 4 }, ["2016-01-18 12:02:03 daily+weekly", "2016-01-12 21:08:03 daily+weekly", "2016-01-09 21:02:03 daily+weekly", "2016-01-03 07:02:03 weekly"]],
  [{ monthly: 6 }, ["2016-01-18 12:02:03 monthly", "2015-11-22 10:20:30 monthly", "2015-10-22 10:20:30 monthly", "2015-09-22 10:20:30 monthly", "2015-08-22 10:20:30 monthly", "2014-11-22 10:20:30 monthly"]],
  [{ daily: 2, weekly: 2, monthly: 6 }, ["2016-01-18 12:02:03 daily+weekly+monthly", "2016-01-12 21:08:03 daily+weekly", "2015-11-22 10:20:30 monthly", "2015-10-22 10:20:30 monthly", "2015-09-22 10:20:30 monthly", "2015-08-22 10:20:30 monthly", "2014-11-22 10:20:30 monthly"]],
  [{ yearly: 10 }, ["2016-01-18 12:02:03 yearly", "2015-11-22 10:20:30 yearly", "2014-11-22 10:20:30 yearly", "2014-08-08 10:20:30 oldest yearly"]],
  [{ daily: 7, weekly: 2, monthly: 3, yearly: 10 }, ["2016-01-18 12:02:03 daily+weekly+monthly+yearly", "2016-01-12 21:08:03 daily+weekly", "2016-01-09 21:02:03 daily", "2016-01-08 20:02:03 daily", "2016-01-07 10:02:03 daily", "2016-01-06 08:02:03 daily", "2016-01-05 09:02:03 daily", "2015-11-22 10:20:30 monthly+yearly", "2015-10-22 10:20:30 monthly", "2014-11-22 10:20:30 yearly", "2014-08-08 10:20:30 oldest yearly"]],
];

const WITHIN_CASES: readonly (readonly [string, number, string])[] = [
  ["1d", 1, "1d"], // oldest kept: 2016-01-18 12:02:03
  ["2d", 1, "2d"], // oldest kept: 2016-01-18 12:02:03
  ["7d", 3, "7d"], // oldest kept: 2016-01-12 21:02:03
  ["1m", 19, "1m"], // oldest kept: 2016-01-01 01:02:03
  ["1m14d", 19, "1m14d"], // oldest kept: 2016-01-01 01:02:03
  ["1y1d1m", 63, "1y1m1d"], // oldest kept: 2015-08-08 10:20:30
  ["13d23h", 9, "13d23h"], // oldest kept: 2016-01-04 16:23:03
  ["2m2h", 23, "2m2h"], // oldest kept: 2015-11-18 10:20:30
  ["1y2m3d3h", 68, "1y2m3d3h"], // oldest kept: 2014-11-15 10:20:30
];

describe("retention: restic's policy tests (two years of snapshots)", () => {
  const list = units(RESTIC_TIMES);

  for (const [policy, expected] of BUCKET_CASES) {
    it(`keeps what restic keeps for ${JSON.stringify(policy)}`, () => {
      assert.deepEqual(kept(list, policy), expected);
    });
  }

  for (const [duration, count, shown] of WITHIN_CASES) {
    it(`--keep-within ${duration} keeps the ${count} newest, as restic`, () => {
      const decisions = applyRetention(list, { within: duration }, at('2026-06-01 00:00:00'), utcCalendar);
      const newest = [...list].sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1)).slice(0, count).map((u) => u.id);
      assert.deepEqual(decisions.filter((d) => d.keep).map((d) => d.unit.id), newest);
      for (const d of decisions.filter((x) => x.keep)) assert.deepEqual(d.reasons, [{ rule: 'within', duration: shown }]);
    });
  }

  it('counts within from the newest snapshot that is not in the future', () => {
    const withFuture = [...list, { id: 'future', time: at('2030-01-01 00:00:00'), pinned: false, safetyCopy: false, labelled: false }];
    const decisions = applyRetention(withFuture, { within: '7d' }, at('2026-06-01 00:00:00'), utcCalendar);
    // The future one is not within 7 days of the newest past one (2016-01-18) but is newer: kept.
    assert.deepEqual(decisions.filter((d) => d.keep).map((d) => show(d.unit.time)), ['2030-01-01 00:00:00', '2016-01-18 12:02:03', '2016-01-12 21:08:03', '2016-01-12 21:02:03']);
  });

  it('keeps every unit exactly once: kept and removed add up', () => {
    for (const [policy] of BUCKET_CASES) {
      const decisions = applyRetention(list, policy, at('2026-06-01 00:00:00'), utcCalendar);
      assert.equal(decisions.length, list.length);
      assert.equal(new Set(decisions.map((d) => d.unit.id)).size, list.length);
      for (const d of decisions) assert.equal(d.keep, d.reasons.length > 0);
    }
  });
});

describe("retention: restic's documented examples", () => {
  it('one backup every Sunday for 12 weeks, --keep-daily 4: the last four Sundays', () => {
    const sundays = ['2019-09-01', '2019-09-08', '2019-09-15', '2019-09-22', '2019-09-29', '2019-10-06', '2019-10-13', '2019-10-20', '2019-10-27', '2019-11-03', '2019-11-10', '2019-11-17'].map((d) => `${d} 11:00:00`);
    assert.deepEqual(kept(units(sundays), { daily: 4 }), ['2019-11-17 11:00:00 daily', '2019-11-10 11:00:00 daily', '2019-11-03 11:00:00 daily', '2019-10-27 11:00:00 daily']);
  });

  it('a backup every day for two years, --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75', () => {
    // Ending on a Sunday, as the documentation's arithmetic assumes (the 7 dailies are one week).
    const days: string[] = [];
    for (let t = at('2024-01-01 03:00:00'); t <= at('2025-12-28 03:00:00'); t += 86_400_000) days.push(show(t));
    const decisions = applyRetention(units(days), { daily: 7, weekly: 5, monthly: 12, yearly: 75 }, at('2026-01-01 00:00:00'), utcCalendar).filter((d) => d.keep);
    const rule = (name: string) => decisions.filter((d) => d.reasons.some((r) => r.rule === name && !r.oldest));
    const weekday = (d: (typeof decisions)[number]) => new Date(d.unit.time).getUTCDay();
    // "the most recent 7 daily snapshots and 4 last-day-of-the-week ones (since the 7 dailies already include 1 weekly)"
    assert.deepEqual(rule('daily').map((d) => show(d.unit.time).slice(0, 10)), ['2025-12-28', '2025-12-27', '2025-12-26', '2025-12-25', '2025-12-24', '2025-12-23', '2025-12-22']);
    const weeklyOnly = rule('weekly').filter((d) => !d.reasons.some((r) => r.rule === 'daily'));
    assert.equal(rule('weekly').length, 5);
    assert.equal(weeklyOnly.length, 4);
    for (const d of weeklyOnly) assert.equal(weekday(d), 0, `${show(d.unit.time)} is the last day (Sunday) of its week`);
    // 12 monthlies: the newest, then the last day of each earlier month.
    const monthly = rule('monthly');
    assert.equal(monthly.length, 12);
    for (const d of monthly.slice(1)) assert.equal(new Date(d.unit.time + 86_400_000).getUTCDate(), 1, `${show(d.unit.time)} ends its month`);
    // Yearly: the newest of 2025 and of 2024, and (counts left) the oldest snapshot of all.
    assert.deepEqual(rule('yearly').map((d) => show(d.unit.time).slice(0, 10)), ['2025-12-28', '2024-12-31']);
    assert.deepEqual(decisions.filter((d) => d.reasons.some((r) => r.oldest)).map((d) => [show(d.unit.time).slice(0, 10), d.reasons.map(reasonWord).join('+')]), [['2024-01-01', 'oldest yearly']]);
    // "12 or 11 last-day-of-the-month snapshots (depending on whether one of them ends up being the
    // same as a daily or weekly)": here the newest is a daily and 2025-11-30 (a Sunday) a weekly.
    assert.equal(monthly.filter((d) => d.reasons.length === 1).length, 10);
    assert.equal(decisions.length, 7 + 4 + 10 + 1 + 1);
  });

  it('weeks run Monday to Sunday by ISO week, across a year boundary', () => {
    // 2015-12-31 (Thu), 2016-01-03 (Sun) are ISO week 53 of 2015; 2016-01-04 (Mon) is week 1.
    const list = units(['2015-12-28 10:00:00', '2015-12-31 10:00:00', '2016-01-03 10:00:00', '2016-01-04 10:00:00']);
    assert.deepEqual(kept(list, { weekly: 5 }), ['2016-01-04 10:00:00 weekly', '2016-01-03 10:00:00 weekly', '2015-12-28 10:00:00 oldest weekly']);
  });
});

describe('retention: what Berth always keeps', () => {
  const now = at('2026-03-01 12:00:00');
  const base = (id: string, t: string, extra: Partial<RetentionUnit> = {}): RetentionUnit => ({ id, time: at(t), pinned: false, safetyCopy: false, labelled: false, ...extra });

  it('keeps pinned snapshots, labelled ones and safety copies younger than 7 days, whatever the policy', () => {
    const list = [
      base('newest', '2026-03-01 10:00:00'),
      base('pinned', '2020-01-01 00:00:00', { pinned: true }),
      base('labelled', '2021-01-01 00:00:00', { labelled: true }),
      base('fresh-safety', '2026-02-25 00:00:00', { safetyCopy: true }),
      base('old-safety', '2026-02-20 00:00:00', { safetyCopy: true }),
      base('plain', '2026-02-26 00:00:00'),
    ];
    const decisions = applyRetention(list, { last: 1 }, now, utcCalendar);
    const byId = new Map(decisions.map((d) => [d.unit.id, d]));
    assert.deepEqual(byId.get('newest')?.reasons, [{ rule: 'last' }]);
    assert.deepEqual(byId.get('pinned')?.reasons, [{ rule: 'pinned' }]);
    assert.deepEqual(byId.get('labelled')?.reasons, [{ rule: 'labelled' }]);
    assert.deepEqual(byId.get('fresh-safety')?.reasons, [{ rule: 'safety-copy' }]);
    assert.equal(byId.get('old-safety')?.keep, false, 'a safety copy older than 7 days follows the policy');
    assert.equal(byId.get('plain')?.keep, false);
  });

  it('treats a project set as one unit, and leaves set members out of their workload\'s own retention', () => {
    const rec = (recordId: string, key: string, capturedAt: string, extra: Partial<CatalogRecord> = {}): CatalogRecord =>
      ({ schemaVersion: 2, recordId, id: 'a'.repeat(64), workload: { kind: 'compose', key, label: key.slice(8) }, capturedAt, label: '', pinned: false, quiesce: 'pause', origin: 'capture', volumes: [], files: 0, bytes: 0, storedBytes: 0, skipped: 0, ...extra }) as CatalogRecord;
    const set = (id: string, service: string) => ({ set: { id, project: 'shop', service, members: 2 } });
    const records = [
      rec('20260101-000000-000001', 'compose:shop/db', '2026-01-01T00:00:00.000Z', set('set-20260101-000000-aaaaaa', 'db')),
      rec('20260101-000001-000002', 'compose:shop/web', '2026-01-01T00:00:01.000Z', set('set-20260101-000000-aaaaaa', 'web')),
      rec('20260102-000000-000003', 'compose:shop/db', '2026-01-02T00:00:00.000Z', { ...set('set-20260102-000000-bbbbbb', 'db'), pinned: true }),
      rec('20260102-000001-000004', 'compose:shop/web', '2026-01-02T00:00:01.000Z', set('set-20260102-000000-bbbbbb', 'web')),
      rec('20260103-000000-000005', 'compose:shop/db', '2026-01-03T00:00:00.000Z', set('set-20260103-000000-cccccc', 'db')),
      rec('20260103-000001-000006', 'compose:shop/web', '2026-01-03T00:00:01.000Z', set('set-20260103-000000-cccccc', 'web')),
      rec('20260104-000000-000007', 'compose:shop/db', '2026-01-04T00:00:00.000Z', { label: 'nightly', schedule: '0123456789ab' }),
      rec('20260105-000000-000008', 'compose:shop/db', '2026-01-05T00:00:00.000Z'),
    ];
    const sets = decideUnits(projectUnits(records, 'shop'), { last: 1 }, now, undefined, utcCalendar);
    assert.deepEqual(sets.map((d) => [d.info.id, d.info.keep, d.info.records.length]), [
      ['set-20260103-000000-cccccc', true, 2],
      ['set-20260102-000000-bbbbbb', true, 2], // one member pinned keeps the whole set
      ['set-20260101-000000-aaaaaa', false, 2],
    ]);
    const own = decideUnits(workloadUnits(records, 'compose:shop/db'), { last: 1 }, now, undefined, utcCalendar);
    // A schedule's label does not protect its snapshots: they are the series retention thins.
    assert.deepEqual(own.map((d) => [d.info.id, d.info.keep]), [['20260105-000000-000008', true], ['20260104-000000-000007', false]]);
    // The capture that has just been taken stays even when the policy would not keep it.
    const protectedOne = decideUnits(workloadUnits(records, 'compose:shop/db'), { last: 1 }, now, '20260104-000000-000007', utcCalendar);
    assert.deepEqual(protectedOne[1]?.info.reasons, [{ rule: 'just-taken' }]);
  });
});

describe('retention: durations', () => {
  it("parses restic's durations and prints them canonically", () => {
    assert.deepEqual(parseDuration('1y2m3d4h'), { years: 1, months: 2, days: 3, hours: 4 });
    assert.equal(formatDuration(parseDuration('1y1d1m')), '1y1m1d');
    assert.equal(formatDuration(parseDuration(' 30d ')), '30d');
  });

  it('refuses what is not one', () => {
    for (const bad of ['', '7', '1w', 'd', '1d1d', '0d', '1.5d', '-1d', '1y 2m', '99999999d']) {
      assert.throws(() => parseDuration(bad), /duration/, bad);
    }
  });
});
