import type { WorkloadIdentity } from '../../../protocol/src';

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_NUMBER = 'com.docker.compose.container-number';

/**
 * Derives the durable identity (see protocol/src/identity.ts). Compose labels win over the
 * container name because compose re-creates containers under the same project/service.
 */
export function identityOf(name: string, labels: Readonly<Record<string, string>>): WorkloadIdentity {
  const project = labels[COMPOSE_PROJECT];
  const service = labels[COMPOSE_SERVICE];
  if (project && service) {
    const number = labels[COMPOSE_NUMBER];
    const replica = number && number !== '1' ? `#${number}` : '';
    const label = `${project}/${service}${replica}`;
    return { kind: 'compose', key: `compose:${label}`, label };
  }
  return { kind: 'container', key: `container:${name}`, label: name };
}

export function composeProjectOf(labels: Readonly<Record<string, string>>): string | undefined {
  return labels[COMPOSE_PROJECT] || undefined;
}

export function composeServiceOf(labels: Readonly<Record<string, string>>): string | undefined {
  return labels[COMPOSE_SERVICE] || undefined;
}

const COMPOSE_DEPENDS_ON = 'com.docker.compose.depends_on';

/**
 * The services a compose container depends on, from compose's `depends_on` label:
 * `db:service_started:false,cache:service_healthy:true` (compose 2.20+), or `db:service_started`
 * and plain `db` before. Names only; conditions do not matter for ordering.
 */
export function composeDependsOn(labels: Readonly<Record<string, string>>): string[] {
  const raw = labels[COMPOSE_DEPENDS_ON];
  if (!raw) return [];
  return [...new Set(raw.split(',').map((part) => part.split(':')[0]?.trim() ?? '').filter((s) => s !== ''))];
}
