import * as vscode from 'vscode';
import type { ScheduleInfo, ScheduleRun } from '../../../../protocol/src';
import { escapeMarkdown } from '../markdown';
import { ageOf } from './format';

// How a group of the Snapshots view shows the schedules of its target (docs/schedules.md): the
// next run in its description, next and last runs of each schedule in its tooltip.

/** "next Tue 03:00 · last 5 h ago" ("last 5 h ago: failed" when it did); undefined without schedules. */
export function scheduleDescription(schedules: readonly ScheduleInfo[]): string | undefined {
  const runnable = schedules.filter((s) => s.nextRun);
  if (schedules.length === 0) return undefined;
  const next = runnable.map((s) => s.nextRun as string).sort()[0];
  const parts = [next ? vscode.l10n.t('next {0}', shortTime(next)) : vscode.l10n.t('schedule cannot run')];
  const last = lastOf(schedules);
  if (last) parts.push(last.outcome === 'ok' ? vscode.l10n.t('last {0}', ageOf(last.startedAt)) : vscode.l10n.t('last {0}: {1}', ageOf(last.startedAt), outcomeLabel(last)));
  return parts.join(' · ');
}

export function appendSchedules(md: vscode.MarkdownString, schedules: readonly ScheduleInfo[]): void {
  if (schedules.length === 0) return;
  md.appendMarkdown(`\n\n${vscode.l10n.t('Schedules')}:\n`);
  for (const s of schedules) {
    const what = `\`${escapeMarkdown(s.entry.cron)}\`${s.entry.label ? ` "${escapeMarkdown(s.entry.label)}"` : ''}`;
    const next = s.nextRun ? vscode.l10n.t('next {0}', new Date(s.nextRun).toLocaleString()) : escapeMarkdown(s.problem ?? vscode.l10n.t('cannot run'));
    const last = s.lastRun ? vscode.l10n.t('last {0} ({1})', outcomeLabel(s.lastRun), ageOf(s.lastRun.startedAt)) : vscode.l10n.t('not run yet');
    md.appendMarkdown(`- ${what}: ${next}; ${escapeMarkdown(last)}${s.lastRun?.message ? ` — ${escapeMarkdown(s.lastRun.message)}` : ''}\n`);
  }
}

export function outcomeLabel(run: ScheduleRun): string {
  switch (run.outcome) {
    case 'ok':
      return vscode.l10n.t('ok');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'skipped-busy':
      return vscode.l10n.t('skipped (busy)');
    case 'interrupted':
      return vscode.l10n.t('interrupted');
    case 'running':
      return vscode.l10n.t('running');
  }
}

function lastOf(schedules: readonly ScheduleInfo[]): ScheduleRun | undefined {
  return schedules
    .map((s) => s.lastRun)
    .filter((r): r is ScheduleRun => r !== undefined)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0];
}

function shortTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
}
