// Cron expressions, parsed by croner (the well-kept library of the field; Berth writes no cron
// parser). Five fields (minute hour day-of-month month day-of-week) or a nickname such as
// @daily, in the machine's local time, as cron and systemd timers read them.
import * as l10n from '@vscode/l10n';
import { Cron } from 'croner';
import { echo } from '../echo';
import { RejectedError } from '../errors';

export function normalizeCron(expression: string): string {
  return expression.trim().split(/\s+/).join(' ');
}

/** The parsed expression; Rejected (exit 5) with the parser's reason when it is not valid. */
export function parseCron(expression: string): Cron {
  const text = normalizeCron(expression);
  let cron: Cron;
  try {
    // Five fields only: seconds-level schedules (croner's six-field form) make no sense for backups.
    cron = new Cron(text, { paused: true, mode: '5-part' });
  } catch (error) {
    throw new RejectedError(l10n.t('The cron expression "{0}" is not valid: {1}', echo(text), (error as Error).message.replace(/^CronPattern: /, '')), { detail: 'cron' });
  }
  if (!cron.nextRun(new Date())) throw new RejectedError(l10n.t('The cron expression "{0}" never fires (no date matches it).', echo(text)), { detail: 'cron' });
  return cron;
}

/** The latest slot in (since, now], if any: a missed run is caught up once, never per slot. */
export function latestSlot(cron: Cron, since: number, now: number): number | undefined {
  // previousRuns excludes its reference time; a slot at exactly `now` is due.
  const [latest] = cron.previousRuns(1, new Date(now + 1));
  const t = latest?.getTime();
  return t !== undefined && t > since && t <= now ? t : undefined;
}

/** The first slot after `now`. */
export function nextSlot(cron: Cron, now: number): number | undefined {
  return cron.nextRun(new Date(now))?.getTime();
}
