import * as l10n from '@vscode/l10n';
import { echo } from '../echo';
import { RejectedError } from '../errors';

/** Where the engine is and how that was decided. The setting wins over DOCKER_HOST. */
export interface EngineEndpoint {
  readonly url: string;
  readonly source: 'setting' | 'DOCKER_HOST' | 'default';
  readonly connection:
    | { readonly kind: 'unix'; readonly socketPath: string }
    | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean; readonly certPath?: string }
    | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly username?: string };
}

const DEFAULT_URL = 'unix:///var/run/docker.sock';

export function resolveEndpoint(setting: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  const fromSetting = setting?.trim();
  if (fromSetting) return parseEndpoint(fromSetting, 'setting', env);
  const fromEnv = env.DOCKER_HOST?.trim();
  if (fromEnv) return parseEndpoint(fromEnv, 'DOCKER_HOST', env);
  return parseEndpoint(DEFAULT_URL, 'default', env);
}

/** `from` names where the value came from in error messages (the CLI passes its option's name). */
export function parseEndpoint(url: string, source: EngineEndpoint['source'], env: NodeJS.ProcessEnv = process.env, from?: string): EngineEndpoint {
  const where = from ?? (source === 'setting' ? l10n.t('the berth.dockerHost setting') : source);
  const invalid = (why: string) =>
    new RejectedError(
      l10n.t('The Docker endpoint "{0}" from {1} is not usable: {2}. Use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host.', echo(url), where, why),
      { detail: url },
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(l10n.t('it is not a URL'));
  }
  switch (parsed.protocol) {
    case 'unix:': {
      const socketPath = decodeURIComponent(parsed.pathname);
      if (!socketPath.startsWith('/')) throw invalid(l10n.t('the socket path must be absolute'));
      return { url, source, connection: { kind: 'unix', socketPath } };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      if (!parsed.hostname) throw invalid(l10n.t('it names no host'));
      const tls = parsed.protocol === 'https:' || (parsed.protocol === 'tcp:' && isTruthy(env.DOCKER_TLS_VERIFY));
      const port = parsed.port ? Number(parsed.port) : tls ? 2376 : 2375;
      const certPath = env.DOCKER_CERT_PATH;
      return { url, source, connection: { kind: 'tcp', host: parsed.hostname, port, tls, ...(tls && certPath ? { certPath } : {}) } };
    }
    case 'ssh:': {
      if (!parsed.hostname) throw invalid(l10n.t('it names no host'));
      const port = parsed.port ? Number(parsed.port) : 22;
      const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
      return { url, source, connection: { kind: 'ssh', host: parsed.hostname, port, ...(username ? { username } : {}) } };
    }
    default:
      throw invalid(l10n.t('the scheme "{0}" is not supported', parsed.protocol.replace(/:$/, '')));
  }
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
