import * as vscode from 'vscode';
import { ListWorkloadsRequest, VolumeUsageRequest, type Workload } from '../../../../protocol/src';
import type { Ctx } from '../../ctx';
import { TreeProvider } from '../TreeProvider';
import { ComposeProjectItem } from './ComposeProjectItem';
import { MountItem } from './MountItem';
import { WorkloadItem } from './WorkloadItem';

export type WorkloadNode = ComposeProjectItem | WorkloadItem | MountItem;

const VOLUME_SIZE_TTL_MS = 30_000;

/**
 * The Workloads tree: compose projects, then ungrouped containers, each with its mounts. One
 * backend list call per refresh; volume sizes are asked for only when a container is expanded,
 * because the engine computes them slowly.
 */
export class WorkloadsProvider extends TreeProvider<WorkloadNode> {
  private volumeSizes: { at: number; sizes: Map<string, number> } | undefined;
  /** The last list the tree rendered; commands and tests read it. */
  lastWorkloads: readonly Workload[] = [];

  constructor(private readonly ctx: Ctx) {
    super();
  }

  getParent(element: WorkloadNode): WorkloadNode | undefined {
    if (element instanceof WorkloadItem && element.workload.composeProject) {
      const project = element.workload.composeProject;
      return new ComposeProjectItem(project, this.lastWorkloads.filter((w) => w.composeProject === project));
    }
    if (element instanceof MountItem) return new WorkloadItem(element.workload);
    return undefined;
  }

  async getChildren(element?: WorkloadNode): Promise<WorkloadNode[]> {
    if (!element) return this.roots();
    if (element instanceof ComposeProjectItem) return element.workloads.map((w) => new WorkloadItem(this.withBusy(w)));
    if (element instanceof WorkloadItem) {
      const sizes = element.workload.mounts.some((m) => m.type === 'volume') ? await this.sizes() : new Map<string, number>();
      return element.workload.mounts.map((m) => new MountItem(element.workload, m, m.name ? sizes.get(m.name) : undefined));
    }
    return [];
  }

  private async roots(): Promise<WorkloadNode[]> {
    const engine = this.ctx.engineStatus;
    // VS Code hides a view's welcome content (and its buttons) while the view has a message, so
    // the states that package.json's viewsWelcome covers (starting, stopped, unreachable, empty)
    // set no message; the unreachable endpoint and error go into the view's description.
    this.setDescription(undefined);
    if (this.ctx.backendState !== 'ready') {
      this.setMessage(undefined);
      return [];
    }
    if (engine && !engine.reachable) {
      this.setMessage(undefined);
      this.setDescription(unreachableText(engine.endpoint, engine.error));
      this.lastWorkloads = [];
      return [];
    }
    let workloads: readonly Workload[];
    try {
      workloads = (await this.ctx.request(ListWorkloadsRequest.type, { all: true })).workloads;
    } catch (error) {
      this.ctx.noticeFailure(error);
      this.setMessage(vscode.l10n.t('Cannot list workloads: {0}', (error as Error).message));
      this.lastWorkloads = [];
      return [];
    }
    this.lastWorkloads = workloads;
    this.setMessage(undefined);
    const byProject = new Map<string, Workload[]>();
    const ungrouped: Workload[] = [];
    for (const w of workloads) {
      if (w.composeProject) byProject.set(w.composeProject, [...(byProject.get(w.composeProject) ?? []), w]);
      else ungrouped.push(w);
    }
    const byName = (a: Workload, b: Workload) => a.name.localeCompare(b.name);
    const projects = [...byProject.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([project, members]) => new ComposeProjectItem(project, members.sort(byName)));
    return [...projects, ...ungrouped.sort(byName).map((w) => new WorkloadItem(this.withBusy(w)))];
  }

  private withBusy(w: Workload): Workload {
    const busy = this.ctx.busy.get(w.identity.key);
    return busy ? { ...w, busy } : w;
  }

  private async sizes(): Promise<Map<string, number>> {
    if (this.volumeSizes && Date.now() - this.volumeSizes.at < VOLUME_SIZE_TTL_MS) return this.volumeSizes.sizes;
    try {
      const { volumes } = await this.ctx.request(VolumeUsageRequest.type, undefined);
      this.volumeSizes = { at: Date.now(), sizes: new Map(volumes.map((v) => [v.name, v.size])) };
      return this.volumeSizes.sizes;
    } catch {
      return new Map();
    }
  }
}

/**
 * `<endpoint>: <error>`, endpoint first because the view's title cuts long text off. The
 * backend's error usually names the endpoint already; that part is not repeated.
 */
function unreachableText(endpoint: string, error: string | undefined): string {
  const at = error ? error.indexOf(endpoint) : -1;
  const detail = error && at >= 0 ? error.slice(at + endpoint.length).replace(/^[:\s]+/, '') : (error ?? '');
  return detail ? `${endpoint}: ${detail}` : endpoint;
}
