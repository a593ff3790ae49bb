import type { Workload } from '../../../protocol/src';
import type { CommandSpec } from '../command';
import { table } from '../format';

const list: CommandSpec<{ workloads: Workload[] }> = {
  resource: 'workloads',
  verb: 'list',
  args: '',
  summary: 'List the engine\'s containers with their state, image, identity and mounts.',
  positionals: { min: 0, max: 0 },
  options: { running: { type: 'boolean', description: 'only running containers' } },
  async run(input, backend, ctx) {
    const workloads = await backend.workloads.list(input.options.running !== true, ctx.signal);
    return { workloads };
  },
  print(result, io) {
    if (result.workloads.length === 0) {
      io.out('No containers.');
      return;
    }
    const rows = result.workloads.map((w) => [
      w.name,
      w.state + (w.health === 'unhealthy' ? ' (unhealthy)' : ''),
      w.image,
      w.identity.key,
      w.mounts.map((m) => `${m.type === 'volume' ? (m.name ?? m.source) : m.source}:${m.target}${m.readOnly ? ':ro' : ''}`).join(', '),
    ]);
    io.out(table(['NAME', 'STATE', 'IMAGE', 'IDENTITY', 'MOUNTS'], rows));
  },
};

export const workloadCommands: readonly CommandSpec<never>[] = [list as unknown as CommandSpec<never>];
