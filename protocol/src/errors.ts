// Stable error codes for every Berth request. The numbers are a public API: the CLI maps them
// to exit codes, scripts match on them, and the client chooses its messages by them. Never
// renumber; only add.

/** JSON-RPC error codes that Berth's requests answer with. */
export const ErrorCodes = {
  /**
   * The message is not a valid JSON-RPC request: "method" not a string, an id that is neither a
   * string nor a number, params neither an object nor an array (JSON-RPC's own InvalidRequest).
   */
  InvalidRequest: -32600,
  /** The params are not of the request's shape (JSON-RPC's own InvalidParams). */
  InvalidParams: -32602,
  /** An unexpected failure inside the backend (JSON-RPC's own InternalError). */
  InternalError: -32603,
  /** The caller cancelled the request (LSP's RequestCancelled). */
  Cancelled: -32800,
  /** The operation ran and failed; the message says at which step. */
  OperationFailed: 1001,
  /** Another operation holds the workload's lock. */
  Busy: 1002,
  /** The workload, snapshot, plugin or file does not exist. */
  NotFound: 1003,
  /** Input was rejected as unsafe or invalid: archives, manifests, paths, names, settings. */
  Rejected: 1004,
  /** The Docker engine cannot be reached at the configured endpoint. */
  EngineUnreachable: 1005,
  /** The engine refused the call because of the object's current state (already started, …). */
  Conflict: 1006,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;
export type ErrorCode = (typeof ErrorCodes)[ErrorCodeName];

/** Data attached to every Berth error response, so clients need not parse messages. */
export interface BerthErrorData {
  /** The symbolic name of the code, for example `Busy`. */
  readonly name: ErrorCodeName;
  /** The named step of a multi-step operation at which it failed, when there is one. */
  readonly step?: string;
  /** The path or entry the error is about (an archive entry, a plugin file, …). */
  readonly path?: string;
  /** Further detail from the engine or the OS (its status code, errno code). */
  readonly detail?: string;
  /** What was rolled back after the failure (or why the rollback failed too). */
  readonly rollback?: string;
}

const namesByCode = new Map<number, ErrorCodeName>(
  (Object.keys(ErrorCodes) as ErrorCodeName[]).map((name) => [ErrorCodes[name], name]),
);

export function errorCodeName(code: number): ErrorCodeName | undefined {
  return namesByCode.get(code);
}

/** The `berth` CLI's exit codes. Fixed for every command. */
export const ExitCodes = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  Busy: 3,
  NotFound: 4,
  Rejected: 5,
  EngineUnreachable: 6,
} as const;

export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

export function exitCodeFor(code: number): ExitCode {
  switch (code) {
    case ErrorCodes.InvalidRequest:
    case ErrorCodes.InvalidParams:
      return ExitCodes.Usage;
    case ErrorCodes.Busy:
      return ExitCodes.Busy;
    case ErrorCodes.NotFound:
      return ExitCodes.NotFound;
    case ErrorCodes.Rejected:
      return ExitCodes.Rejected;
    case ErrorCodes.EngineUnreachable:
      return ExitCodes.EngineUnreachable;
    default:
      return ExitCodes.Failed;
  }
}
