import * as vscode from 'vscode';
import { CreateProjectSnapshotRequest, ListWorkloadsRequest, type CreateProjectSnapshotResult } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { ProjectGroupItem } from '../../views/snapshots/ProjectItems';
import { ComposeProjectItem } from '../../views/workloads/ComposeProjectItem';
import { announceCapture, askLabel, quiesceSetting } from './captureParts';

export interface TakeProjectSnapshotOptions {
  /** Skips the label prompt (scripts and tests). */
  readonly label?: string;
}

/**
 * Captures every service of a compose project as one consistent set (docs/snapshots.md,
 * "Project snapshots"): from a project node of the Workloads or Snapshots view, a project name
 * (scripts), or a project the user picks. Quiesce comes from `berth.snapshots.quiesce`.
 */
export function takeProjectSnapshot(ctx: Ctx) {
  return async (arg?: unknown, second?: unknown): Promise<CreateProjectSnapshotResult | undefined> => {
    const options = second && typeof second === 'object' && !Array.isArray(second) ? (second as TakeProjectSnapshotOptions) : undefined;
    const project = await projectArgument(ctx, arg);
    if (project === undefined) return undefined;
    const label =
      (typeof options?.label === 'string' ? options.label : undefined) ??
      (await askLabel(vscode.l10n.t('Take Snapshot of Project {0}', project), vscode.l10n.t('A label for the project snapshot (optional). Every service is quiesced together and captured as one set.')));
    if (label === undefined) return undefined;
    const quiesce = quiesceSetting();
    const result = await ctx.runOperation(
      CreateProjectSnapshotRequest.type,
      { project, ...(label.trim() ? { label: label.trim() } : {}), quiesce },
      { title: vscode.l10n.t('Taking a snapshot of project {0}', project), workload: { key: `project:${project}`, name: project }, made: (r) => `set ${r.set.id}` },
    );
    if (!result) return undefined;
    const message = vscode.l10n.t('Project snapshot {0} of {1} taken: {2} service(s), quiesced together.', result.set.id, project, result.set.members);
    announceCapture(ctx, message, result.warnings, vscode.l10n.t('Show Log'), (n) => vscode.l10n.t('{0} warning(s).', n));
    return result;
  };
}

async function projectArgument(ctx: Ctx, arg: unknown): Promise<string | undefined> {
  if (arg instanceof ComposeProjectItem) return arg.project;
  if (arg instanceof ProjectGroupItem) return arg.project;
  if (typeof arg === 'string' && arg !== '') return arg.startsWith('project:') ? arg.slice('project:'.length) : arg;
  const { workloads } = await ctx.request(ListWorkloadsRequest.type, { all: true });
  const projects = [...new Set(workloads.map((w) => w.composeProject).filter((p): p is string => !!p))].sort();
  if (projects.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No compose project is running on this engine.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    projects.map((p) => ({ label: p, description: vscode.l10n.t('{0} service(s)', workloads.filter((w) => w.composeProject === p).length) })),
    { placeHolder: vscode.l10n.t('Select a compose project') },
  );
  return picked?.label;
}
