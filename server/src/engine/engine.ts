// The one chokepoint for Docker engine calls, and the only file that imports dockerode.
// Every call goes through `call()`, which folds the engine's error detail and status code into
// a named error. Nothing here reads or writes the engine host's filesystem: the engine may be
// remote, so data moves only through the engine's API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import type { EngineStatus } from '../../../protocol/src';
import { BerthError, EngineUnreachableError } from '../errors';
import { classifyEngineError } from './classify';
import { Demultiplexer } from './execDemux';
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

export interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly status?: string;
  readonly id?: string;
  readonly time?: number;
  readonly timeNano?: number;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Readonly<Record<string, string>> };
}

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  readonly user?: string;
  readonly workingDir?: string;
  /** Streamed to the process's stdin, which is closed when it ends. */
  readonly stdin?: Readable;
  /** Receives stdout as it arrives; otherwise stdout is collected (up to maxOutputBytes). */
  readonly stdout?: Writable;
  /** Receives stderr as it arrives; otherwise stderr is collected (up to maxOutputBytes). */
  readonly stderr?: Writable;
  readonly signal?: AbortSignal;
  /** Cap on collected stdout/stderr each; more is dropped and `truncated` set. Default 4 MiB. */
  readonly maxOutputBytes?: number;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
}

export interface PathStat {
  readonly name: string;
  readonly size: number;
  /** Go os.FileMode bits (see statPath). */
  readonly mode: number;
  readonly linkTarget: string;
}

export interface ExecSession {
  /** Writes to the process's stdin (ignored once the connection has closed). */
  write(text: string): void;
  /** Closes stdin. */
  end(): void;
  destroy(): void;
  /** Resolves when the connection closes. */
  readonly ended: Promise<void>;
  stderr(): string;
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

  /**
   * Runs a command in a running container and waits for it to exit. stdin, when given, is
   * streamed (never buffered) and closed at its end, so one exec can receive a whole tar.
   */
  exec(id: string, options: ExecOptions): Promise<ExecResult> {
    return this.call(`Running ${options.cmd[0] ?? 'a command'} in container ${id}`, async (docker) => {
      const container = docker.getContainer(id);
      const exec = await container.exec({
        Cmd: [...options.cmd],
        AttachStdin: options.stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        ...(options.env ? { Env: [...options.env] } : {}),
        ...(options.user ? { User: options.user } : {}),
        ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
        abortSignal: options.signal,
      } as Docker.ExecCreateOptions);
      const stream = (await exec.start({ hijack: true, stdin: options.stdin !== undefined, abortSignal: options.signal } as Docker.ExecStartOptions)) as unknown as NodeJS.ReadWriteStream & { destroy(): void };
      const limit = options.maxOutputBytes ?? 4 * 1024 * 1024;
      const stdoutCollector = new Collector(limit);
      const stderrCollector = new Collector(limit);
      const stdout = options.stdout ?? stdoutCollector;
      const onAbort = () => stream.destroy();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let stdinError: unknown;
      let streamError: unknown;
      try {
        // Our own demultiplexer instead of modem.demuxStream, which ignores backpressure: a
        // patch or archive streamed to a slower sink must not pile up in memory.
        const demux = new Demultiplexer(stdout, options.stderr ?? stderrCollector);
        const finished = new Promise<void>((resolve, reject) => {
          demux.once('finish', resolve);
          // A failing sink (disk full) must also cut the connection, or the process in the
          // container would block forever on a full pipe.
          demux.once('error', (error) => {
            stream.destroy();
            reject(error);
          });
          stream.once('error', (error) => {
            // Writing stdin races the process's exit (EPIPE, ECONNRESET): judge by the exec's
            // own state below, not by the socket.
            if (!options.stdin) return reject(error);
            streamError = error;
            if (!demux.writableEnded) demux.end();
          });
          // A destroyed (aborted) or cut connection closes without 'end'; flush what arrived.
          stream.once('close', () => {
            if (!demux.writableEnded) demux.end();
          });
        });
        (stream as unknown as Readable).pipe(demux);
        const stdin = options.stdin;
        if (stdin) {
          // The process may exit before reading all of stdin, and the source may fail: neither
          // may leave this call hanging. A failing source half-closes stdin, so the process sees
          // a truncated input and can clean up; its error is thrown once the process has ended.
          let ended = false;
          void finished.then(() => (ended = true), () => (ended = true));
          const sink = new Writable({
            write: (chunk: Buffer, _enc, done) => {
              if (ended) return done(new Error('the process has exited'));
              if (stream.write(chunk)) return done();
              const onDrain = () => {
                stream.off('drain', onDrain);
                stream.off('close', onDrain);
                done();
              };
              stream.once('drain', onDrain);
              stream.once('close', onDrain);
            },
            final: (done) => {
              stream.end();
              done();
            },
          });
          void pipeline(stdin, sink).catch((error: unknown) => {
            if (ended) return;
            stdinError = error;
            stream.end();
          });
          await finished;
          if (!stdin.readableEnded) stdin.destroy();
        } else {
          await finished;
        }
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
      if (options.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      if (stdinError !== undefined) throw stdinError;
      // The stream ends when the process exits, a moment before the engine records its exit
      // code: poll soon, then back off (at most about 2 s in all).
      let info = await exec.inspect();
      for (let i = 0; info.Running && i < 100; i++) {
        await new Promise((r) => setTimeout(r, Math.min(20, 2 + i * 2)));
        info = await exec.inspect();
      }
      if (streamError !== undefined && (info.Running || info.ExitCode === null)) throw streamError;
      return {
        exitCode: info.ExitCode ?? -1,
        stdout: stdoutCollector.text(),
        stderr: stderrCollector.text(),
        truncated: stdoutCollector.truncated || stderrCollector.truncated,
      };
    });
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
   * Starts a command with an interactive stdin and returns at once: the caller writes lines to
   * it and reads stdout as it arrives. `ended` resolves (never rejects) when the connection
   * closes, whatever the reason (the process exited, the container was removed), so a caller is
   * never left waiting on a dead process.
   */
  execSession(id: string, cmd: readonly string[], onStdout: (chunk: Buffer) => void): Promise<ExecSession> {
    return this.call(`Running ${cmd[0] ?? 'a command'} in container ${id}`, async (docker) => {
      const exec = await docker.getContainer(id).exec({ Cmd: [...cmd], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
      const stream = (await exec.start({ hijack: true, stdin: true } as Docker.ExecStartOptions)) as unknown as NodeJS.ReadWriteStream & { destroy(): void; destroyed?: boolean };
      const stderr = new Collector(64 * 1024);
      docker.modem.demuxStream(stream, new Writable({ write: (chunk: Buffer, _e, done) => (onStdout(chunk), done()) }), stderr);
      let closed = false;
      const ended = new Promise<void>((resolve) => {
        const finish = () => {
          closed = true;
          resolve();
        };
        stream.once('end', finish);
        stream.once('close', finish);
        stream.once('error', finish);
      });
      return {
        write: (text: string) => {
          if (!closed) stream.write(text);
        },
        end: () => {
          if (!closed) stream.end();
        },
        destroy: () => stream.destroy(),
        ended,
        stderr: () => stderr.text(),
      };
    });
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

/** Collects a stream's bytes up to a cap (engine output we show or parse, never archives). */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const room = this.limit - this.size;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.size += part.length;
    }
    if (chunk.length > room) this.truncated = true;
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
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
