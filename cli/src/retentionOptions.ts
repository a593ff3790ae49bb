import { PruneSnapshotsParams } from '../../protocol/src/params';
import type { CommandInput, OptionSpec } from './command';
import { countOption, stringOption } from './options';

// The retention options `snapshots prune` and `schedule add` share, with restic's names
// (docs/snapshots.md, "Retention"); bounds from the prune request's params schema.

export const RETENTION_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'keep-last': { type: 'string', description: 'keep the newest N' },
  'keep-hourly': { type: 'string', description: 'keep the newest of each of the last N hours that have one' },
  'keep-daily': { type: 'string', description: 'keep the newest of each of the last N days that have one' },
  'keep-weekly': { type: 'string', description: 'keep the newest of each of the last N weeks (Monday to Sunday)' },
  'keep-monthly': { type: 'string', description: 'keep the newest of each of the last N months' },
  'keep-yearly': { type: 'string', description: 'keep the newest of each of the last N years' },
  'keep-within': { type: 'string', description: 'keep all within a duration of the newest: 1y6m, 30d, 12h (m is months)' },
};

/** The retention rules given on the command line, as the prune request's fields. */
export function retentionOptions(input: CommandInput): {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
} {
  const count = (option: string, field: string) => {
    const value = countOption(input, option, PruneSnapshotsParams, field);
    return value === undefined ? {} : { [field]: value };
  };
  const within = stringOption(input, 'keep-within');
  return {
    ...count('keep-last', 'keepLast'),
    ...count('keep-hourly', 'keepHourly'),
    ...count('keep-daily', 'keepDaily'),
    ...count('keep-weekly', 'keepWeekly'),
    ...count('keep-monthly', 'keepMonthly'),
    ...count('keep-yearly', 'keepYearly'),
    ...(within !== undefined ? { keepWithin: within } : {}),
  };
}
