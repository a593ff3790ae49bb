import * as vscode from 'vscode';
import type { ScheduleInfo, SnapshotInfo } from '../../../../protocol/src';
import { escapeMarkdown } from '../markdown';
import { formatBytes } from '../workloads/MountItem';
import { ageOf } from './format';
import { appendSchedules, scheduleDescription } from './schedules';

/** One project set: its members (each an ordinary record carrying the set's ID), newest capture last. */
export interface SnapshotSet {
  readonly id: string;
  readonly project: string;
  /** How many members the set has (a set with fewer records is incomplete). */
  readonly expected: number;
  readonly members: readonly SnapshotInfo[];
}

/** The sets of the records that carry one, by set, newest first. */
export function setsOf(snapshots: readonly SnapshotInfo[]): SnapshotSet[] {
  const sets = new Map<string, { id: string; project: string; expected: number; members: SnapshotInfo[] }>();
  for (const s of snapshots) {
    if (!s.set) continue;
    const set = sets.get(s.set.id) ?? { id: s.set.id, project: s.set.project, expected: s.set.members, members: [] };
    set.members.push(s);
    sets.set(s.set.id, set);
  }
  for (const set of sets.values()) set.members.sort((a, b) => (a.set?.service ?? '').localeCompare(b.set?.service ?? ''));
  return [...sets.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
}

/**
 * The project snapshots of one compose project: contextValue `snapshotProject`. Its children
 * are the sets; its description says how many and when its schedules run next.
 */
export class ProjectGroupItem extends vscode.TreeItem {
  constructor(
    readonly project: string,
    readonly sets: readonly SnapshotSet[],
    readonly schedules: readonly ScheduleInfo[] = [],
  ) {
    super(project, sets.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    this.id = `snapshots:project:${project}`;
    const count = sets.length === 1 ? vscode.l10n.t('1 project snapshot') : vscode.l10n.t('{0} project snapshots', sets.length);
    const scheduled = scheduleDescription(schedules);
    this.description = scheduled ? `${count} · ${scheduled}` : count;
    this.iconPath = new vscode.ThemeIcon('layers');
    this.contextValue = 'snapshotProject';
    const tooltip = new vscode.MarkdownString(escapeMarkdown(vscode.l10n.t('Project snapshots of the compose project {0}', project)));
    appendSchedules(tooltip, schedules);
    this.tooltip = tooltip;
    this.accessibilityInformation = { label: `${project}, ${this.description}` };
  }
}

/**
 * One project snapshot: the set's members under it. contextValue `snapshotSet`, with
 * `.incomplete` when fewer members are stored than the set had (a capture that died between
 * its members' commits).
 */
export class SnapshotSetItem extends vscode.TreeItem {
  constructor(readonly set: SnapshotSet) {
    const first = set.members[0];
    super(first?.label || set.id, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `snapshots:set:${set.id}`;
    const incomplete = set.members.length < set.expected;
    const bytes = set.members.reduce((n, m) => n + m.bytes, 0);
    const services = set.expected === 1 ? vscode.l10n.t('1 service') : vscode.l10n.t('{0} services', set.expected);
    this.description = [
      ...(first?.label ? [set.id] : []),
      first ? ageOf(first.capturedAt) : '',
      incomplete ? vscode.l10n.t('incomplete: {0} of {1} services', set.members.length, set.expected) : services,
      formatBytes(bytes),
    ]
      .filter(Boolean)
      .join(' · ');
    this.iconPath = incomplete ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon(set.members.some((m) => m.pinned) ? 'pinned' : 'package');
    this.contextValue = incomplete ? 'snapshotSet.incomplete' : 'snapshotSet';
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escapeMarkdown(first?.label || set.id)}** — ${escapeMarkdown(vscode.l10n.t('project {0}', set.project))}\n\n`);
    md.appendMarkdown(`${vscode.l10n.t('Set')}: \`${set.id}\`  \n`);
    if (first) md.appendMarkdown(`${vscode.l10n.t('Captured')}: ${new Date(first.capturedAt).toLocaleString()}  \n`);
    if (incomplete) md.appendMarkdown(`$(warning) ${escapeMarkdown(vscode.l10n.t('Only {0} of the {1} services of this set are stored.', set.members.length, set.expected))}  \n`);
    for (const m of set.members) md.appendMarkdown(`- ${escapeMarkdown(m.set?.service ?? m.workload.label)}: \`${m.recordId}\` ${formatBytes(m.bytes)}, ${escapeMarkdown(vscode.l10n.t('{0} volume(s)', m.volumes.length))}\n`);
    this.tooltip = md;
    this.accessibilityInformation = { label: vscode.l10n.t('Project snapshot {0} of {1}, {2}', first?.label || set.id, set.project, this.description) };
  }
}
