// A schedule entry, checked: from the `berth.schedules` setting or the CLI's file, both written
// by hand, so every field is checked and an entry Berth cannot run is reported with the reason,
// never run half-understood and never a reason to crash.
import { createHash } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { QUIESCE_MODES, type ScheduleEntry } from '../../../protocol/src';
import { hasControlChars } from '../archive/paths';
import { errorMessage } from '../errors';
import { parseDuration, policyIsEmpty } from '../snapshots/retention';
import { normalizeCron, parseCron } from './cron';

const count = z.optional(z.int().check(z.minimum(1), z.maximum(100_000)));
const Retention = z.strictObject({
  last: count,
  hourly: count,
  daily: count,
  weekly: count,
  monthly: count,
  yearly: count,
  within: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
});
const Entry = z.strictObject({
  target: z.string().check(z.minLength(1), z.maxLength(512)),
  cron: z.string().check(z.minLength(1), z.maxLength(256)),
  label: z.optional(z.string().check(z.maxLength(256))),
  retention: z.optional(Retention),
  quiesce: z.optional(z.enum(QUIESCE_MODES)),
});

/** A schedule's identity: its target and its cron expression (docs/schedules.md, "Identity"). */
export function scheduleId(target: string, cron: string): string {
  return createHash('sha256').update(`${target.trim()}\n${normalizeCron(cron)}`).digest('hex').slice(0, 12);
}

export type ScheduleTarget = { readonly kind: 'workload'; readonly ref: string } | { readonly kind: 'project'; readonly project: string };

export function targetOf(entry: ScheduleEntry): ScheduleTarget {
  const target = entry.target.trim();
  return target.startsWith('project:') ? { kind: 'project', project: target.slice('project:'.length) } : { kind: 'workload', ref: target };
}

/**
 * The entry, or why it cannot run. Checks the shape, the cron expression (with croner's reason),
 * the target, the label and the retention policy.
 */
export function checkEntry(value: unknown): { entry: ScheduleEntry; problem?: undefined } | { entry?: ScheduleEntry; problem: string } {
  const parsed = Entry.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    return { problem: l10n.t('not a schedule ({0}{1}); a schedule is {2}', where ? `"${where}": ` : '', issue?.message ?? '?', '{"target": "compose:shop/db" | "project:shop", "cron": "0 3 * * *", "label"?, "retention"?, "quiesce"?}') };
  }
  const entry = parsed.data as ScheduleEntry;
  const problem = entryProblem(entry);
  return problem ? { entry, problem } : { entry };
}

function entryProblem(entry: ScheduleEntry): string | undefined {
  try {
    parseCron(entry.cron);
  } catch (error) {
    return errorMessage(error);
  }
  const target = targetOf(entry);
  if (target.kind === 'project' && target.project.trim() === '') return l10n.t('the target "project:" names no project');
  if (hasControlChars(entry.target)) return l10n.t('the target holds control characters');
  if (entry.label !== undefined && hasControlChars(entry.label)) return l10n.t('the label holds control characters');
  if (entry.retention) {
    if (policyIsEmpty(entry.retention)) return l10n.t('the retention policy has no rule; leave "retention" out to keep everything');
    if (entry.retention.within !== undefined) {
      try {
        parseDuration(entry.retention.within);
      } catch (error) {
        return errorMessage(error);
      }
    }
  }
  return undefined;
}
