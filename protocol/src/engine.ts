import { NotificationType, RequestType } from 'vscode-jsonrpc';

export interface EngineStatus {
  readonly reachable: boolean;
  /** The endpoint tried, for example `unix:///var/run/docker.sock`. */
  readonly endpoint: string;
  /** Where the endpoint came from. */
  readonly endpointSource: 'setting' | 'DOCKER_HOST' | 'default';
  readonly version?: string;
  readonly apiVersion?: string;
  /** The engine's (or the socket's) error when unreachable. */
  readonly error?: string;
}

/** Client → server. Pings the engine now and reports the result. */
export namespace EngineStatusRequest {
  export const method = 'berth/engine/status';
  export const type = new RequestType<void, EngineStatus, void>(method);
}

/** Server → client. The engine became reachable or unreachable. */
export namespace EngineStatusNotification {
  export const method = 'berth/engine/didChangeStatus';
  export const type = new NotificationType<EngineStatus>(method);
}
