// The backend's clock. Schedules (and retention) count from it; BERTH_CLOCK_NOW pins it for tests
// of due, missed and overlapping runs (an ISO time such as 2026-01-02T03:00:30Z, or ms since the
// epoch). Only the backend reads it, never the client.
import * as l10n from '@vscode/l10n';
import { echo } from './echo';
import { InvalidParamsError } from './errors';

export type Clock = () => number;

export function clockFrom(env: NodeJS.ProcessEnv): Clock {
  const pinned = env.BERTH_CLOCK_NOW?.trim();
  if (!pinned) return () => Date.now();
  const ms = /^\d+$/.test(pinned) ? Number(pinned) : Date.parse(pinned);
  if (!Number.isFinite(ms)) throw new InvalidParamsError(l10n.t('BERTH_CLOCK_NOW must be an ISO time or milliseconds since 1970, not "{0}".', echo(pinned)));
  return () => ms;
}
