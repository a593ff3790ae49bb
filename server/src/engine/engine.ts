// The one chokepoint for Docker engine calls: one method per engine API call. With exec.ts (the
// exec and stream plumbing), the only code that touches dockerode; the dockerode object itself
// never leaves this class. Every call goes through the private `call()`, which folds the
// engine's error detail and status code into a named error. Nothing here reads or writes the
// engine host's filesystem: the engine may be remote, so data moves only through the engine's API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { EngineStatus } from '../../../protocol/src';
import { BerthError, EngineUnreachableError } from '../errors';
import { classifyEngineError } from './classify';
import { demultiplex } from './execDemux';
import type { EngineEndpoint } from './endpoint';
import { openExecSession, runExec, type ExecOptions, type ExecResult, type ExecSession } from './exec';

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
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    readonly Paused: boolean;
    readonly Restarting?: boolean;
    /** ISO time of the last start; a change means someone started the container. */
    readonly StartedAt?: string;
    readonly Health?: { readonly Status: string };
  };
  /** The image ID the container was created from. */
  readonly Image?: string;
  readonly Config: { readonly Tty: boolean; readonly Image: string; readonly Labels: Readonly<Record<string, string>> | null; readonly User?: string };
  readonly Mounts: ContainerSummary['Mounts'];
  /** `--tmpfs` mounts appear only here, not in Mounts. */
  readonly HostConfig?: { readonly Tmpfs?: Readonly<Record<string, string>> | null };
}

export interface VolumeDiskUsage {
  readonly Name: string;
  readonly UsageData?: { readonly Size: number; readonly RefCount: number } | null;
}

export interface VolumeDetails {
  readonly Name: string;
  readonly Driver: string;
  /** The volume's data directory on the engine host (`…/volumes/<name>/_data` for `local`). */
  readonly Mountpoint: string;
  readonly Options?: Readonly<Record<string, string>> | null;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

export interface EngineInfo {
  /** The engine's data root on its host, for example `/var/lib/docker`. */
  readonly DockerRootDir: string;
}

export interface PathStat {
  readonly name: string;
  readonly size: number;
  /** Go os.FileMode bits (see statPath). */
  readonly mode: number;
  readonly linkTarget: string;
}

export interface HelperContainerSpec {
  readonly image: string;
  readonly cmd: readonly string[];
  /** Replaces the image's entrypoint (a workload image may have one). */
  readonly entrypoint?: readonly string[];
  readonly binds: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly user?: string;
}

export class Engine {
  private readonly docker: Docker;

  constructor(readonly endpoint: EngineEndpoint) {
    this.docker = new Docker(dockerOptions(endpoint));
  }

  /**
   * Runs one engine call, classifying any failure. `what` names the call for the message.
   * Private: callers get a method per call, never the dockerode object.
   */
  private async call<T>(what: string, run: (docker: Docker) => Promise<T>): Promise<T> {
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

  /**
   * Runs a command in a running container and waits for it to exit (exec.ts). stdin, when
   * given, is streamed (never buffered) and closed at its end, so one exec can receive a whole tar.
   */
  exec(id: string, options: ExecOptions): Promise<ExecResult> {
    return this.call(`Running ${options.cmd[0] ?? 'a command'} in container ${id}`, (docker) => runExec(docker.getContainer(id), options));
  }

  /**
   * What `path` is in the container, from the engine's own stat (HEAD /containers/{id}/archive,
   * header X-Docker-Container-Path-Stat). `mode` is Go's os.FileMode: the directory bit is
   * 1 << 31, sockets 1 << 24, named pipes 1 << 25, devices 1 << 26, symlinks 1 << 27.
   */
  statPath(id: string, path: string, signal?: AbortSignal): Promise<PathStat> {
    return this.call(`Inspecting ${path} in container ${id}`, async (docker) => {
      const response = (await docker.getContainer(id).infoArchive({ path, abortSignal: signal } as { path: string })) as unknown as { headers?: Record<string, string | undefined>; destroy?: () => void; resume?: () => void };
      response.resume?.();
      const header = response.headers?.['x-docker-container-path-stat'];
      if (!header) throw new Error(`the engine sent no stat for ${path}`);
      const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Partial<PathStat>;
      return { name: String(stat.name ?? ''), size: Number(stat.size ?? 0), mode: Number(stat.mode ?? 0), linkTarget: String(stat.linkTarget ?? '') };
    });
  }

  /**
   * Starts a command with an interactive stdin and returns at once (exec.ts); `ended` resolves
   * when the connection closes, whatever the reason.
   */
  execSession(id: string, cmd: readonly string[], onStdout: (chunk: Buffer) => void): Promise<ExecSession> {
    return this.call(`Running ${cmd[0] ?? 'a command'} in container ${id}`, (docker) =>
      openExecSession(docker.getContainer(id), cmd, (stream, stdout, stderr) => docker.modem.demuxStream(stream, stdout, stderr), onStdout),
    );
  }

  /** A tar stream of `path` in the container (GET /containers/{id}/archive). */
  getArchive(id: string, path: string, signal?: AbortSignal): Promise<Readable> {
    return this.call(`Reading ${path} from container ${id}`, async (docker) => {
      const stream = await docker.getContainer(id).getArchive({ path, abortSignal: signal } as { path: string });
      return stream as unknown as Readable;
    });
  }

  /**
   * Extracts a tar stream into `path` in the container (PUT /containers/{id}/archive).
   * `copyUIDGID` makes the engine give the files to the container's configured user instead of
   * the owners recorded in the tar.
   */
  putArchive(id: string, path: string, tar: Readable, signal?: AbortSignal, options: { copyUIDGID?: boolean } = {}): Promise<void> {
    return this.call(`Writing into ${path} of container ${id}`, async (docker) => {
      const query = { path, abortSignal: signal, ...(options.copyUIDGID ? { copyUIDGID: '1' } : {}) };
      await docker.getContainer(id).putArchive(tar, query as { path: string });
    });
  }

  /**
   * Creates a short-lived helper container (no network) that mounts `binds`; the caller starts
   * it, execs into it and removes it in `finally`.
   */
  createHelperContainer(spec: HelperContainerSpec, signal?: AbortSignal): Promise<string> {
    return this.call(`Creating a helper container from ${spec.image}`, async (docker) => {
      const container = await docker.createContainer({
        ...(spec.name ? { name: spec.name } : {}),
        Image: spec.image,
        Cmd: [...spec.cmd],
        Labels: { ...spec.labels },
        ...(spec.user ? { User: spec.user } : {}),
        ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
        HostConfig: { NetworkMode: 'none', Binds: [...spec.binds], AutoRemove: false },
        abortSignal: signal,
      } as Docker.ContainerCreateOptions);
      return container.id;
    });
  }

  removeContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`Removing container ${id}`, async (docker) => {
      try {
        await docker.getContainer(id).remove({ force: true, v: false, abortSignal: signal } as object);
      } catch (error) {
        if ((error as { statusCode?: unknown }).statusCode === 404) return;
        throw error;
      }
    });
  }

  inspectVolume(name: string, signal?: AbortSignal): Promise<VolumeDetails> {
    return this.call(`Inspecting volume ${name}`, async (docker) => {
      const details = await docker.getVolume(name).inspect({ abortSignal: signal } as object);
      return details as unknown as VolumeDetails;
    });
  }

  info(signal?: AbortSignal): Promise<EngineInfo> {
    return this.call('Asking the engine for its configuration', async (docker) => {
      const info = await (docker.info as (opts: object) => Promise<unknown>).call(docker, { abortSignal: signal });
      return info as EngineInfo;
    });
  }

  /** Whether the image exists locally (no registry is ever contacted). */
  async hasImage(image: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.call(`Inspecting image ${image}`, (docker) => docker.getImage(image).inspect({ abortSignal: signal } as object));
      return true;
    } catch (error) {
      if (error instanceof BerthError && error.codeName === 'NotFound') return false;
      throw error;
    }
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
