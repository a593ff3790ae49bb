/**
 * The backend's log. Over RPC it goes to the client's LogOutputChannel (never stdout, which can
 * be the transport); in the CLI it goes to stderr when --verbose.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const nullLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
