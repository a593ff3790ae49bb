import type { Mount, Workload, WorkloadHealth, WorkloadState } from '../../../protocol/src';
import type { ContainerSummary } from '../engine/engine';
import { composeProjectOf, composeServiceOf, identityOf } from './identity';

const STATES: ReadonlySet<string> = new Set<WorkloadState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
const MOUNT_TYPES: ReadonlySet<string> = new Set<Mount['type']>(['volume', 'bind', 'tmpfs', 'npipe', 'cluster']);

/** Maps one `listContainers` entry to a Workload without further engine calls. */
export function toWorkload(summary: ContainerSummary): Workload {
  const name = (summary.Names[0] ?? summary.Id.slice(0, 12)).replace(/^\//, '');
  const labels = summary.Labels ?? {};
  const state = STATES.has(summary.State) ? (summary.State as WorkloadState) : 'dead';
  const composeProject = composeProjectOf(labels);
  const composeService = composeServiceOf(labels);
  return {
    id: summary.Id,
    identity: identityOf(name, labels),
    name,
    image: summary.Image,
    state,
    health: healthOf(summary.Status),
    status: summary.Status,
    created: summary.Created,
    ...(composeProject ? { composeProject } : {}),
    ...(composeService ? { composeService } : {}),
    labels,
    mounts: (summary.Mounts ?? []).map(toMount),
  };
}

/** The list endpoint gives health only inside the status line, e.g. `Up 5 s (unhealthy)`. */
function healthOf(status: string): WorkloadHealth {
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(healthy\)/.test(status)) return 'healthy';
  if (/\(health: starting\)/.test(status)) return 'starting';
  return 'none';
}

function toMount(m: ContainerSummary['Mounts'][number]): Mount {
  const type = MOUNT_TYPES.has(m.Type) ? (m.Type as Mount['type']) : 'bind';
  // The engine names anonymous volumes with 64 hex digits.
  const anonymous = type === 'volume' && !!m.Name && /^[0-9a-f]{64}$/.test(m.Name);
  return {
    type,
    ...(m.Name ? { name: m.Name } : {}),
    source: m.Source,
    target: m.Destination,
    readOnly: !m.RW,
    anonymous,
  };
}
