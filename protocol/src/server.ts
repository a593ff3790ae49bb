import { NotificationType, RequestType } from 'vscode-jsonrpc';

/** Sent by the client as `initializationOptions`. */
export interface BerthInitializationOptions {
  /** `berth.dockerHost`; empty means "not set". Wins over DOCKER_HOST. */
  readonly dockerHost?: string;
  /** `berth.stateDir`; empty means "not set". BERTH_STATE_DIR wins over it. */
  readonly stateDir?: string;
  /** VS Code's display language, for the backend's messages. */
  readonly locale?: string;
  /** Absolute path of the l10n bundle for `locale`, when one exists. */
  readonly l10nBundle?: string;
  /** `berth.plugins.root`; empty means the default. A workload's label wins over it. */
  readonly pluginsRoot?: string;
  /** `berth.helperImage`: the local image of helper containers (no-shell workloads; restore). */
  readonly helperImage?: string;
  /**
   * `berth.schedules` as the user wrote it (a list of ScheduleEntry); the backend checks each
   * entry and reports the ones it cannot run (docs/schedules.md).
   */
  readonly schedules?: unknown;
}

export interface BerthSettings {
  readonly dockerHost?: string;
  readonly stateDir?: string;
  readonly pluginsRoot?: string;
  readonly helperImage?: string;
  /** `berth.schedules`, unchecked (see BerthInitializationOptions). */
  readonly schedules?: unknown;
}
/** Client → server. Settings changed; the backend reconnects when the endpoint changed. */
export namespace SettingsChangedNotification {
  export const method = 'berth/settings/didChange';
  export const type = new NotificationType<BerthSettings>(method);
}

export interface ServerInfo {
  readonly pid: number;
  readonly version: string;
  readonly stateDir: string;
  /** Milliseconds from process start to the first served request. */
  readonly readyMs: number;
}
/** Client → server. Who and where the backend is (its PID proves it is a separate process). */
export namespace ServerInfoRequest {
  export const method = 'berth/server/info';
  export const type = new RequestType<void, ServerInfo, void>(method);
}

/** Server → client. An uncaught error inside the backend, forwarded instead of dying silently. */
export namespace ServerErrorNotification {
  export const method = 'berth/server/error';
  export const type = new NotificationType<{ readonly message: string; readonly stack?: string }>(method);
}
