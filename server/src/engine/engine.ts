// The one chokepoint for Docker engine calls, and the only file that imports dockerode.
// Every call goes through `call()`, which folds the engine's error detail and status code into
// a named error. Nothing here reads or writes the engine host's filesystem: the engine may be
// remote, so data moves only through the engine's API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { EngineStatus } from '../../../protocol/src';
import { BerthError, EngineUnreachableError } from '../errors';
import { classifyEngineError } from './classify';
import type { EngineEndpoint } from './endpoint';

export interface ContainerSummary {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Image: string;
  readonly State: string;
  readonly Status: string;
  readonly Created: number;
  readonly Labels: Readonly<Record<string, string>>;
  readonly Mounts: readonly {
    readonly Type: string;
    readonly Name?: string;
    readonly Source: string;
    readonly Destination: string;
    readonly RW: boolean;
  }[];
}

export interface ContainerDetails {
  readonly Id: string;
  readonly Name: string;
  readonly State: { readonly Status: string; readonly Running: boolean; readonly Paused: boolean; readonly Health?: { readonly Status: string } };
  readonly Config: { readonly Tty: boolean; readonly Image: string; readonly Labels: Readonly<Record<string, string>> | null };
  readonly Mounts: ContainerSummary['Mounts'];
}

export interface VolumeDiskUsage {
  readonly Name: string;
  readonly UsageData?: { readonly Size: number; readonly RefCount: number } | null;
}

export interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly time?: number;
  readonly timeNano?: number;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Readonly<Record<string, string>> };
}

export class Engine {
  private readonly docker: Docker;

  constructor(readonly endpoint: EngineEndpoint) {
    this.docker = new Docker(dockerOptions(endpoint));
  }

  /** Runs one engine call, classifying any failure. `what` names the call for the message. */
  async call<T>(what: string, run: (docker: Docker) => Promise<T>): Promise<T> {
    try {
      return await run(this.docker);
    } catch (error) {
      throw classifyEngineError(error, what, this.endpoint.url);
    }
  }

  async status(signal?: AbortSignal): Promise<EngineStatus> {
    const base = { endpoint: this.endpoint.url, endpointSource: this.endpoint.source } as const;
    try {
      const timeout = AbortSignal.timeout(5000);
      const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      // dockerode's types omit the options argument that its code accepts.
      const version = await this.call('Asking the engine for its version', (docker) =>
        (docker.version as (opts: object) => Promise<Docker.DockerVersion>).call(docker, { abortSignal }),
      );
      return { ...base, reachable: true, version: version.Version, apiVersion: version.ApiVersion };
    } catch (error) {
      const message = error instanceof BerthError ? error.message : String(error);
      return { ...base, reachable: false, error: message };
    }
  }

  listContainers(all: boolean, signal?: AbortSignal): Promise<ContainerSummary[]> {
    return this.call('Listing containers', async (docker) => {
      const list = await docker.listContainers({ all, abortSignal: signal } as Docker.ContainerListOptions);
      return list as unknown as ContainerSummary[];
    });
  }

  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails> {
    return this.call(`Inspecting container ${id}`, async (docker) => {
      const details = await docker.getContainer(id).inspect({ abortSignal: signal } as object);
      return details as unknown as ContainerDetails;
    });
  }

  startContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`Starting container ${id}`, (docker) => ignoreNotModified(docker.getContainer(id).start({ abortSignal: signal })));
  }

  stopContainer(id: string, signal?: AbortSignal, timeoutSeconds?: number): Promise<void> {
    const opts = { abortSignal: signal, ...(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }) };
    return this.call(`Stopping container ${id}`, (docker) => ignoreNotModified(docker.getContainer(id).stop(opts)));
  }

  restartContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`Restarting container ${id}`, (docker) => docker.getContainer(id).restart({ abortSignal: signal }));
  }

  pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`Pausing container ${id}`, (docker) => docker.getContainer(id).pause({ abortSignal: signal }));
  }

  unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`Resuming container ${id}`, (docker) => docker.getContainer(id).unpause({ abortSignal: signal }));
  }

  /** The tail of a container's logs as one demultiplexed UTF-8 string. */
  logs(id: string, tail: number, timestamps: boolean, tty: boolean, signal?: AbortSignal): Promise<string> {
    return this.call(`Reading the logs of container ${id}`, async (docker) => {
      const raw = (await docker
        .getContainer(id)
        .logs({ stdout: true, stderr: true, follow: false, tail, timestamps, abortSignal: signal } as Docker.ContainerLogsOptions & { follow: false })) as unknown as Buffer;
      return tty ? raw.toString('utf8') : demultiplex(raw);
    });
  }

  volumeUsage(signal?: AbortSignal): Promise<VolumeDiskUsage[]> {
    return this.call('Reading volume disk usage', async (docker) => {
      const df = (await (docker.df as (opts: object) => Promise<unknown>).call(docker, { abortSignal: signal })) as { Volumes?: VolumeDiskUsage[] | null };
      return df.Volumes ?? [];
    });
  }

  /** The engine's container event stream (newline-delimited JSON). The caller must destroy it. */
  containerEvents(signal?: AbortSignal): Promise<Readable> {
    return this.call('Subscribing to engine events', async (docker) => {
      const stream = await docker.getEvents({ filters: { type: ['container'] }, abortSignal: signal } as object);
      return stream as unknown as Readable;
    });
  }
}

function dockerOptions(endpoint: EngineEndpoint): Docker.DockerOptions {
  const c = endpoint.connection;
  switch (c.kind) {
    case 'unix':
      return { socketPath: c.socketPath };
    case 'tcp': {
      if (!c.tls) return { protocol: 'http', host: c.host, port: c.port };
      const tls: Docker.DockerOptions = { protocol: 'https', host: c.host, port: c.port };
      if (c.certPath) {
        try {
          return {
            ...tls,
            ca: readFileSync(join(c.certPath, 'ca.pem')),
            cert: readFileSync(join(c.certPath, 'cert.pem')),
            key: readFileSync(join(c.certPath, 'key.pem')),
          };
        } catch (error) {
          throw new EngineUnreachableError(
            `Cannot read the TLS client certificates in DOCKER_CERT_PATH (${c.certPath}): ${String(error)}`,
            { detail: 'DOCKER_CERT_PATH' },
          );
        }
      }
      return tls;
    }
    case 'ssh':
      return {
        protocol: 'ssh',
        host: c.host,
        port: c.port,
        ...(c.username ? { username: c.username } : {}),
        sshOptions: process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {},
      } as Docker.DockerOptions;
  }
}

/** The engine answers 304 when a container is already in the asked state; that is success. */
async function ignoreNotModified(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 304) return;
    throw error;
  }
}

/** Splits the engine's multiplexed stdout/stderr frames (8-byte headers) into plain text. */
export function demultiplex(raw: Buffer): string {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    const start = offset + 8;
    const end = Math.min(start + size, raw.length);
    chunks.push(raw.subarray(start, end));
    offset = end;
  }
  return Buffer.concat(chunks).toString('utf8');
}
