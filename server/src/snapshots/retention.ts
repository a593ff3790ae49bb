// Calendar retention with restic's `forget` semantics (docs/snapshots.md, "Retention"): the units
// of one group (a workload's own snapshots, or a project's sets) newest first; each --keep-<period>
// N keeps the newest unit of each of the last N periods that hold one; --keep-last N the newest N;
// --keep-within D every unit within D of the newest; a unit is kept when any rule keeps it (the
// rules are ORed). When a period rule has counts left at the oldest unit, that unit is kept too
// ("oldest daily snapshot"), so the history reaches back as far as the policy allows. On top of
// restic: pinned units, `pre-restore` safety copies younger than 7 days and units labelled by hand
// are always kept. Pure: no clock, no store; the caller passes `now` and acts on the decisions.
import * as l10n from '@vscode/l10n';
import type { RetentionPolicy, RetentionReason } from '../../../protocol/src';
import { InvalidParamsError } from '../errors';

export type { RetentionPolicy, RetentionReason } from '../../../protocol/src';

/** A `pre-restore` safety copy is kept this long whatever the policy says. */
export const SAFETY_COPY_KEEP_MS = 7 * 24 * 3600 * 1000;

/** What retention decides about: one snapshot record, or one project set (all its members). */
export interface RetentionUnit {
  /** Record ID, or set ID. */
  readonly id: string;
  /** Capture time, ms since the epoch. */
  readonly time: number;
  readonly pinned: boolean;
  /** A restore's `pre-restore` safety copy. */
  readonly safetyCopy: boolean;
  /** Labelled by hand (a schedule's label does not count: it names a series to thin). */
  readonly labelled: boolean;
}

export interface RetentionDecision<T extends RetentionUnit> {
  readonly unit: T;
  readonly keep: boolean;
  /** Why it is kept (every rule that keeps it); empty when it is removed. */
  readonly reasons: readonly RetentionReason[];
}

/** The fields of a calendar date, in the zone retention counts periods in. */
export interface Calendar {
  fields(time: number): { year: number; month: number; day: number; hour: number; weekday: number };
  /** `time` moved back by years, months, days (calendar arithmetic, as Go's AddDate) and hours. */
  back(time: number, d: Duration): number;
}

/** Periods are counted in local time, as restic does (a "day" is the user's day). */
export const localCalendar: Calendar = {
  fields: (t) => {
    const d = new Date(t);
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), weekday: d.getDay() };
  },
  back: (t, du) => {
    const d = new Date(t);
    const moved = new Date(d.getFullYear() - du.years, d.getMonth() - du.months, d.getDate() - du.days, d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds());
    return moved.getTime() - du.hours * 3600_000;
  },
};

export const utcCalendar: Calendar = {
  fields: (t) => {
    const d = new Date(t);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), weekday: d.getUTCDay() };
  },
  back: (t, du) => {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear() - du.years, d.getUTCMonth() - du.months, d.getUTCDate() - du.days, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()) - du.hours * 3600_000;
  },
};

/** restic's duration: years, months, days, hours, written `1y2m3d4h` (`m` is months). */
export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

/** Parses `1y2m3d4h` (any of the four, each at most once); InvalidParams naming the problem. */
export function parseDuration(text: string): Duration {
  const value = text.trim();
  const parts = { y: 0, m: 0, d: 0, h: 0 };
  const seen = new Set<string>();
  const bad = (why: string) =>
    new InvalidParamsError(l10n.t('"{0}" is not a duration such as 1y6m, 30d or 12h (y years, m months, d days, h hours): {1}', value.slice(0, 40), why));
  if (value === '') throw bad(l10n.t('it is empty'));
  const re = /(\d{1,5})([ymdh])/gy;
  let at = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const unit = m[2] as keyof typeof parts;
    if (seen.has(unit)) throw bad(l10n.t('"{0}" appears twice', unit));
    seen.add(unit);
    parts[unit] = Number(m[1]);
    at = re.lastIndex;
  }
  if (at !== value.length) throw bad(l10n.t('unexpected "{0}"', value.slice(at, at + 10)));
  if (parts.y + parts.m + parts.d + parts.h === 0) throw bad(l10n.t('it is zero'));
  return { years: parts.y, months: parts.m, days: parts.d, hours: parts.h };
}

/** The canonical text of a duration (restic prints years, months, days, hours in that order). */
export function formatDuration(d: Duration): string {
  return `${d.years ? `${d.years}y` : ''}${d.months ? `${d.months}m` : ''}${d.days ? `${d.days}d` : ''}${d.hours ? `${d.hours}h` : ''}`;
}

/** True when the policy keeps nothing by itself (restic refuses to act on such a policy). */
export function policyIsEmpty(p: RetentionPolicy): boolean {
  return !p.last && !p.hourly && !p.daily && !p.weekly && !p.monthly && !p.yearly && !p.within;
}

/** The policy in words, for messages and the dry run ("keep 7 daily, 4 weekly, all within 30d"). */
export function describePolicy(p: RetentionPolicy): string {
  const parts: string[] = [];
  if (p.last) parts.push(l10n.t('{0} last', p.last));
  if (p.hourly) parts.push(l10n.t('{0} hourly', p.hourly));
  if (p.daily) parts.push(l10n.t('{0} daily', p.daily));
  if (p.weekly) parts.push(l10n.t('{0} weekly', p.weekly));
  if (p.monthly) parts.push(l10n.t('{0} monthly', p.monthly));
  if (p.yearly) parts.push(l10n.t('{0} yearly', p.yearly));
  if (p.within) parts.push(l10n.t('all within {0} of the newest', p.within));
  return parts.join(', ');
}

type Period = 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

/** The bucket a time falls in for each period; `last` gives every unit its own. */
function bucketOf(period: Period, time: number, position: number, calendar: Calendar): number {
  if (period === 'last') return position;
  const f = calendar.fields(time);
  switch (period) {
    case 'hourly':
      return ((f.year * 100 + f.month) * 100 + f.day) * 100 + f.hour;
    case 'daily':
      return (f.year * 100 + f.month) * 100 + f.day;
    case 'weekly':
      return isoWeek(f.year, f.month, f.day, f.weekday);
    case 'monthly':
      return f.year * 100 + f.month;
    case 'yearly':
      return f.year;
  }
}

/** ISO 8601 year and week as YYYYWW (weeks run Monday to Sunday; week 1 holds the first Thursday). */
function isoWeek(year: number, month: number, day: number, weekday: number): number {
  // The Thursday of this date's week decides the ISO year; count weeks from that year's start.
  const mondayBased = (weekday + 6) % 7;
  const thursday = Date.UTC(year, month - 1, day) + (3 - mondayBased) * 86_400_000;
  const isoYear = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(isoYear, 0, 1)) / (7 * 86_400_000)) + 1;
  return isoYear * 100 + week;
}

/**
 * Decides, for the units of one group, which to keep and why. `now` bounds `within` (units in the
 * future are not taken as the newest, as restic) and ages safety copies.
 */
export function applyRetention<T extends RetentionUnit>(units: readonly T[], policy: RetentionPolicy, now: number, calendar: Calendar = localCalendar): RetentionDecision<T>[] {
  // Newest first; equal times by ID (descending), so the order never depends on how they were listed.
  const list = [...units].sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const within = policy.within ? parseDuration(policy.within) : undefined;
  const latest = list.reduce((max, u) => (u.time > max && u.time < now ? u.time : max), Number.NEGATIVE_INFINITY);
  const withinFrom = within && Number.isFinite(latest) ? calendar.back(latest, within) : undefined;
  const buckets = (['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const).map((period) => ({ period, count: policy[period] ?? 0, last: Number.NaN }));
  return list.map((unit, position) => {
    const reasons: RetentionReason[] = [];
    if (unit.pinned) reasons.push({ rule: 'pinned' });
    if (unit.safetyCopy && now - unit.time < SAFETY_COPY_KEEP_MS) reasons.push({ rule: 'safety-copy' });
    if (unit.labelled) reasons.push({ rule: 'labelled' });
    if (within && withinFrom !== undefined && unit.time > withinFrom) reasons.push({ rule: 'within', duration: formatDuration(within) });
    for (const b of buckets) {
      if (b.count <= 0) continue;
      const value = bucketOf(b.period, unit.time, position, calendar);
      const oldest = position === list.length - 1;
      // A new period keeps its newest unit; the oldest unit is kept while counts are left, so
      // the policy's history reaches as far back as there is data (restic 0.16+).
      if (value !== b.last || oldest) {
        reasons.push({ rule: b.period, ...(value === b.last ? { oldest: true } : {}) });
        b.last = value;
        b.count--;
      }
    }
    return { unit, keep: reasons.length > 0, reasons };
  });
}

/** A reason in words, for the CLI and the view. */
export function reasonText(r: RetentionReason): string {
  switch (r.rule) {
    case 'pinned':
      return l10n.t('pinned');
    case 'safety-copy':
      return l10n.t('pre-restore safety copy younger than 7 days');
    case 'labelled':
      return l10n.t('labelled');
    case 'within':
      return l10n.t('within {0} of the newest', r.duration ?? '');
    case 'last':
      return l10n.t('one of the last');
    case 'hourly':
      return r.oldest ? l10n.t('oldest hourly') : l10n.t('hourly');
    case 'daily':
      return r.oldest ? l10n.t('oldest daily') : l10n.t('daily');
    case 'weekly':
      return r.oldest ? l10n.t('oldest weekly') : l10n.t('weekly');
    case 'monthly':
      return r.oldest ? l10n.t('oldest monthly') : l10n.t('monthly');
    case 'yearly':
      return r.oldest ? l10n.t('oldest yearly') : l10n.t('yearly');
    case 'just-taken':
      return l10n.t('just taken');
  }
}
