// The demo's small workload (scripts/demo.sh creates it through main/demoWorkload.ts): a
// container with a named volume and a bind mount, and a two-container compose project, from the
// locally imported test image. Removal touches only objects that carry the demo's own
// `berth.demo=<prefix>` label, never a same-named container somebody else made.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { docker, ensureBusyboxImage } from '../../fixtures/docker';

export const DEMO_LABEL = 'berth.demo';

export interface DemoOptions {
  /** Names start with it; default `berth-demo`. */
  readonly prefix: string;
  /** Host folder for the bind mount's content. */
  readonly dir: string;
  /** Extra labels (the demo test adds `berth-test=<run>`). */
  readonly labels: Readonly<Record<string, string>>;
}

export interface DemoWorkload {
  readonly containers: readonly string[];
  readonly volumes: readonly string[];
  readonly project: string;
}

export function demoNames(prefix: string): DemoWorkload {
  const project = `${prefix}-shop`;
  return { containers: [prefix, `${project}-web-1`, `${project}-worker-1`], volumes: [`${prefix}-data`], project };
}

const LOOP = 'trap "exit 0" TERM; while true; do sleep 1; done';

export async function createDemo(options: DemoOptions, d: Docker = docker()): Promise<DemoWorkload> {
  await removeDemo(options.prefix, d);
  const names = demoNames(options.prefix);
  const labels = { [DEMO_LABEL]: options.prefix, ...options.labels };
  const image = await ensureBusyboxImage(d);
  const configDir = join(resolve(options.dir), 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'app.conf'), 'greeting = hello from the host\n');

  const [volume] = names.volumes as [string];
  await d.createVolume({ Name: volume, Labels: labels });
  const create = async (name: string, cmd: string, extra: Partial<Docker.ContainerCreateOptions> = {}, start = true) => {
    const container = await d.createContainer({
      name,
      Image: image,
      Cmd: ['sh', '-c', cmd],
      Labels: { ...labels, ...(extra.Labels ?? {}) },
      HostConfig: { NetworkMode: 'none', ...(extra.HostConfig ?? {}) },
    });
    if (start) await container.start();
  };
  const [main, web, worker] = names.containers as [string, string, string];
  await create(main, `mkdir -p /data/notes && echo "written by ${main}" > /data/notes/hello.txt; ${LOOP}`, {
    HostConfig: { NetworkMode: 'none', Binds: [`${volume}:/data`, `${configDir}:/configs:ro`] },
  });
  const compose = (service: string) => ({
    Labels: { 'com.docker.compose.project': names.project, 'com.docker.compose.service': service, 'com.docker.compose.container-number': '1' },
  });
  await create(web, LOOP, compose('web'));
  // Stopped on purpose, so the tree shows both states.
  await create(worker, LOOP, compose('worker'), false);
  return names;
}

export async function removeDemo(prefix: string, d: Docker = docker()): Promise<void> {
  const names = demoNames(prefix);
  for (const name of names.containers) {
    const info = await d
      .getContainer(name)
      .inspect()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined;
        throw error;
      });
    if (!info) continue;
    if (info.Config.Labels?.[DEMO_LABEL] !== prefix) {
      throw new Error(`A container named ${name} exists that the demo did not create; remove or rename it, or set BERTH_DEMO_PREFIX.`);
    }
    await d.getContainer(name).remove({ force: true, v: true });
  }
  for (const name of names.volumes) {
    const info = await d
      .getVolume(name)
      .inspect()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode === 404) return undefined;
        throw error;
      });
    if (!info) continue;
    if (info.Labels?.[DEMO_LABEL] !== prefix) throw new Error(`A volume named ${name} exists that the demo did not create.`);
    await d.getVolume(name).remove();
  }
}
