// The engines the backend talks to, by name. Today there is one, DEFAULT_ENGINE, whose endpoint
// is the `berth.dockerHost` setting (or --docker-host), else DOCKER_HOST, else the local socket.
// The map is the seam for several named engines: the backend hands its services an engine by
// name, and nothing else creates or holds an Engine.
import type { EngineStatus } from '../../../protocol/src';
import { Engine } from './engine';
import { resolveEndpoint } from './endpoint';

export const DEFAULT_ENGINE = 'default';

interface Entry {
  /** The endpoint as configured (undefined: DOCKER_HOST, else the local socket). */
  readonly dockerHost: string | undefined;
  readonly engine?: Engine;
  /** Why the configured endpoint is unusable; every call of this engine throws it. */
  readonly error?: Error;
}

export class Engines {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /**
   * Points `name` at an endpoint. An unchanged endpoint keeps its Engine (and the connections
   * it holds). Returns true when the endpoint changed or is unusable.
   */
  configure(name: string, dockerHost: string | undefined): boolean {
    const before = this.entries.get(name);
    let endpoint;
    try {
      endpoint = resolveEndpoint(dockerHost, this.env);
    } catch (error) {
      this.entries.set(name, { dockerHost, error: error as Error });
      return true;
    }
    const engine = before?.engine?.endpoint.url === endpoint.url ? before.engine : new Engine(endpoint);
    this.entries.set(name, { dockerHost, engine });
    return engine !== before?.engine;
  }

  /** The engine of that name; throws its endpoint's error when the endpoint is unusable. */
  get(name: string = DEFAULT_ENGINE): Engine {
    const entry = this.entries.get(name);
    if (entry?.error) throw entry.error;
    if (!entry?.engine) throw new Error(`engine ${name} not configured`);
    return entry.engine;
  }

  /** The endpoint as configured, even when it is unusable (for messages). */
  endpointUrl(name: string = DEFAULT_ENGINE): string {
    const entry = this.entries.get(name);
    return entry?.engine?.endpoint.url ?? entry?.dockerHost ?? this.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  }

  /** Whether the engine answers; an unusable endpoint is reported without a call. */
  async status(name: string = DEFAULT_ENGINE, signal?: AbortSignal): Promise<EngineStatus> {
    const entry = this.entries.get(name);
    if (entry?.error) {
      const source = entry.dockerHost?.trim() ? 'setting' : this.env.DOCKER_HOST?.trim() ? 'DOCKER_HOST' : 'default';
      return { reachable: false, endpoint: this.endpointUrl(name), endpointSource: source, error: entry.error.message };
    }
    return this.get(name).status(signal);
  }
}
