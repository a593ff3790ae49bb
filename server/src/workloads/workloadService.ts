import * as l10n from '@vscode/l10n';
import type { Workload, WorkloadLogsResult, VolumeUsage } from '../../../protocol/src';
import { echo } from '../echo';
import type { Engine } from '../engine/engine';
import { NotFoundError, RejectedError } from '../errors';
import type { OperationContext } from '../operation';
import { toWorkload } from './toWorkload';

/** Lists and drives containers. One engine call per list: no per-container inspect. */
export class WorkloadService {
  constructor(private readonly engine: () => Engine) {}

  async list(all: boolean, signal?: AbortSignal): Promise<Workload[]> {
    const containers = await this.engine().listContainers(all, signal);
    return containers.map(toWorkload);
  }

  /**
   * Finds a workload by container ID (or unique ID prefix of 4+ hex digits), container name,
   * or durable identity key (`container:<name>`, `compose:<project>/<service>`).
   */
  async resolve(ref: string, signal?: AbortSignal): Promise<Workload> {
    if (ref.length > 512 || /[\0\n]/.test(ref)) {
      throw new RejectedError(l10n.t('A workload reference must be a container ID, a name or an identity, on one line.'));
    }
    const workloads = await this.list(true, signal);
    const name = ref.replace(/^\//, '');
    const exact = workloads.find((w) => w.id === ref || w.name === name || w.identity.key === ref);
    if (exact) return exact;
    if (/^[0-9a-f]{4,64}$/.test(ref)) {
      const byPrefix = workloads.filter((w) => w.id.startsWith(ref));
      if (byPrefix.length === 1 && byPrefix[0]) return byPrefix[0];
      if (byPrefix.length > 1) {
        throw new RejectedError(l10n.t('"{0}" matches {1} containers; give more of the ID.', echo(ref), byPrefix.length));
      }
    }
    throw new NotFoundError(l10n.t('No workload named "{0}". Run "berth workloads list" to see the names.', echo(ref)));
  }

  async start(ref: string, ctx: OperationContext): Promise<Workload> {
    const workload = await this.resolve(ref, ctx.signal);
    ctx.progress.report(l10n.t('Starting {0}', workload.name));
    await this.engine().startContainer(workload.id, ctx.signal);
    return this.resolve(workload.id, ctx.signal);
  }

  async stop(ref: string, ctx: OperationContext): Promise<Workload> {
    const workload = await this.resolve(ref, ctx.signal);
    ctx.progress.report(l10n.t('Stopping {0}', workload.name));
    await this.engine().stopContainer(workload.id, ctx.signal);
    return this.resolve(workload.id, ctx.signal);
  }

  async restart(ref: string, ctx: OperationContext): Promise<Workload> {
    const workload = await this.resolve(ref, ctx.signal);
    ctx.progress.report(l10n.t('Restarting {0}', workload.name));
    await this.engine().restartContainer(workload.id, ctx.signal);
    return this.resolve(workload.id, ctx.signal);
  }

  async logs(ref: string, tail: number, timestamps: boolean, signal?: AbortSignal): Promise<WorkloadLogsResult> {
    const workload = await this.resolve(ref, signal);
    const details = await this.engine().inspectContainer(workload.id, signal);
    const text = await this.engine().logs(workload.id, tail, timestamps, details.Config.Tty, signal);
    return { name: workload.name, text };
  }

  async volumeUsage(signal?: AbortSignal): Promise<VolumeUsage[]> {
    const volumes = await this.engine().volumeUsage(signal);
    return volumes.map((v) => ({
      name: v.Name,
      size: v.UsageData?.Size ?? -1,
      refCount: v.UsageData?.RefCount ?? -1,
    }));
  }
}
