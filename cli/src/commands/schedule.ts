import * as l10n from '@vscode/l10n';
import { ExitCodes, QUIESCE_MODES, type RetentionPolicy, type ScheduleEntry, type ScheduleInfo, type ScheduleRun } from '../../../protocol/src';
import { echo } from '../../../server/src/echo';
import { InvalidParamsError, RejectedError } from '../../../server/src/errors';
import { checkEntry } from '../../../server/src/schedules/entry';
import { addScheduleEntry, removeScheduleEntry, schedulesFile } from '../../../server/src/schedules/file';
import type { RunReport } from '../../../server/src/schedules/scheduleService';
import { describePolicy } from '../../../server/src/snapshots/retention';
import type { CommandSpec } from '../command';
import { table } from '../format';
import { choiceOption, stringOption } from '../options';
import { RETENTION_OPTIONS, retentionOptions } from '../retentionOptions';

// `berth schedule add|list|remove|run` (docs/schedules.md). The CLI's schedules live in the
// state directory's schedules file; `run` takes what is due and exits, for cron or a systemd
// timer. VS Code's backend runs the same schedules plus the berth.schedules setting.

const add: CommandSpec<{ index: number; id: string; entry: ScheduleEntry; file: string }> = {
  resource: 'schedule',
  verb: 'add',
  args: '<target> --cron <expr>',
  summary: 'Add a scheduled snapshot of a workload or of project:<name> to the schedules file. An invalid cron expression exits 5 with the parser\'s reason.',
  positionals: { min: 1, max: 1 },
  options: {
    cron: { type: 'string', description: 'five fields (minute hour day month weekday) or @daily, @hourly, … in local time (required)' },
    label: { type: 'string', description: 'a label for every snapshot it takes' },
    quiesce: { type: 'string', description: 'pause (default), stop or none' },
    ...RETENTION_OPTIONS,
  },
  async run(input, backend, ctx) {
    const cron = stringOption(input, 'cron');
    if (cron === undefined) throw new InvalidParamsError(l10n.t('"berth schedule add" needs --cron, for example --cron "0 3 * * *".'));
    let target = input.positionals[0] ?? '';
    // A workload's durable identity, when the engine knows it: a schedule outlives container IDs
    // and names (a re-created compose container keeps its identity key).
    if (!target.startsWith('project:') && !target.startsWith('compose:') && !target.startsWith('container:')) {
      target = await backend.workloads.resolve(target, ctx.signal).then((w) => w.identity.key, () => target);
    }
    const retention = policyFrom(retentionOptions(input));
    const quiesce = choiceOption(input, 'quiesce', QUIESCE_MODES);
    const label = stringOption(input, 'label');
    const entry: ScheduleEntry = { target, cron, ...(label !== undefined ? { label } : {}), ...(retention ? { retention } : {}), ...(quiesce ? { quiesce } : {}) };
    const checked = checkEntry(entry);
    if (checked.problem !== undefined) throw new RejectedError(checked.problem, { detail: 'schedule' });
    const added = await addScheduleEntry(backend.stateDir, checked.entry, backend.now());
    return { ...added, entry: checked.entry, file: schedulesFile(backend.stateDir) };
  },
  print(result, io) {
    io.out(l10n.t('Added schedule {0} ({1}): {2} at "{3}".', result.index, result.id, result.entry.target, result.entry.cron));
    io.out(l10n.t('Run "berth schedule run" from cron or a systemd timer to take what is due (docs/schedules.md).'));
  },
};

const list: CommandSpec<{ schedules: ScheduleInfo[]; problems: string[] }> = {
  resource: 'schedule',
  verb: 'list',
  args: '',
  summary: 'List the schedules of the schedules file with their next and last runs.',
  positionals: { min: 0, max: 0 },
  async run(_input, backend) {
    return backend.schedules.list({ file: true });
  },
  print(result, io) {
    if (result.schedules.length === 0) io.out(l10n.t('No schedules. Add one with "berth schedule add <workload> --cron \\"0 3 * * *\\"".'));
    else {
      const rows = result.schedules.map((s) => [
        String(s.index ?? ''),
        s.id,
        s.entry.target,
        s.entry.cron,
        s.entry.label ?? '',
        s.entry.retention ? describePolicy(s.entry.retention) : '',
        s.nextRun ? localTime(s.nextRun) : '',
        s.lastRun ? `${localTime(s.lastRun.slot)} ${s.lastRun.outcome}` : '',
      ]);
      io.out(table(['N', 'ID', 'TARGET', 'CRON', 'LABEL', 'RETENTION', 'NEXT', 'LAST'], rows));
    }
    for (const s of result.schedules) if (s.problem) io.err(l10n.t('berth: schedule {0} cannot run: {1}', s.index ?? s.id, s.problem));
    for (const p of result.problems) io.err(`berth: ${p}`);
  },
};

const remove: CommandSpec<{ id: string | undefined; removed: unknown }> = {
  resource: 'schedule',
  verb: 'remove',
  args: '<n>',
  summary: 'Remove a schedule from the schedules file, by its number in "schedule list" (or its ID). Its snapshots stay.',
  positionals: { min: 1, max: 1 },
  async run(input, backend) {
    return removeScheduleEntry(backend.stateDir, input.positionals[0] ?? '');
  },
  print(result, io) {
    const e = result.removed as Partial<ScheduleEntry>;
    io.out(l10n.t('Removed the schedule of {0} at "{1}"; its snapshots stay.', echo(String(e.target ?? '?')), echo(String(e.cron ?? '?'))));
  },
};

const run: CommandSpec<{ runs: RunReport[]; problems: string[] }> = {
  resource: 'schedule',
  verb: 'run',
  args: '',
  summary: 'Take every scheduled snapshot that is due, then exit (for cron or a systemd timer). A missed run is caught up once; a busy target is skipped and recorded. Exit 1 when a run failed.',
  positionals: { min: 0, max: 0 },
  touchesWorkloads: true,
  async run(_input, backend, ctx) {
    const { reports, problems } = await backend.schedules.runDue({ file: true }, ctx.signal);
    return { runs: reports, problems };
  },
  print(result, io) {
    if (result.runs.length === 0 && result.problems.length === 0) io.out(l10n.t('Nothing is due.'));
    for (const r of result.runs) {
      const line = runLine(r.schedule, r.run);
      if (r.run.outcome === 'failed') io.err(`berth: ${line}`);
      else io.out(line);
    }
    for (const p of result.problems) io.err(`berth: ${p}`);
  },
  exitCode(result) {
    return result.runs.some((r) => r.run.outcome === 'failed') || result.problems.length > 0 ? ExitCodes.Failed : ExitCodes.Ok;
  },
};

function runLine(s: ScheduleInfo, r: ScheduleRun): string {
  const what = `${s.entry.target} (${s.id}, ${localTime(r.slot)}${r.caughtUp ? `, ${l10n.t('caught up')}` : ''})`;
  switch (r.outcome) {
    case 'ok':
      return l10n.t('{0}: took {1}{2}', what, r.setId ?? (r.recordIds ?? []).join(', '), r.pruned?.length ? `; ${l10n.t('retention removed {0}', r.pruned.join(', '))}` : '');
    case 'skipped-busy':
      return l10n.t('{0}: skipped, the target is busy ({1})', what, r.message ?? '');
    default:
      return l10n.t('{0}: {1}: {2}', what, r.outcome, r.message ?? '');
  }
}

function policyFrom(o: ReturnType<typeof retentionOptions>): RetentionPolicy | undefined {
  const p: RetentionPolicy = {
    ...(o.keepLast !== undefined ? { last: o.keepLast } : {}),
    ...(o.keepHourly !== undefined ? { hourly: o.keepHourly } : {}),
    ...(o.keepDaily !== undefined ? { daily: o.keepDaily } : {}),
    ...(o.keepWeekly !== undefined ? { weekly: o.keepWeekly } : {}),
    ...(o.keepMonthly !== undefined ? { monthly: o.keepMonthly } : {}),
    ...(o.keepYearly !== undefined ? { yearly: o.keepYearly } : {}),
    ...(o.keepWithin !== undefined ? { within: o.keepWithin } : {}),
  };
  return Object.keys(p).length > 0 ? p : undefined;
}

function localTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const scheduleCommands: readonly CommandSpec<never>[] = [add, list, remove, run] as unknown as CommandSpec<never>[];
