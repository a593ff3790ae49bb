// Application hooks (docs/consistency.md): commands a workload's labels ask Berth to run inside
// the container around a snapshot or a restore, such as a database dump before the capture.

/** The container labels that name a hook, by event. */
export const HOOK_EVENTS = ['pre-snapshot', 'post-snapshot', 'pre-restore', 'post-restore'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** What a failing hook does to its operation (`berth.hooks.on-error`). */
export const HOOK_ERROR_MODES = ['fail', 'continue'] as const;
export type HookErrorMode = (typeof HOOK_ERROR_MODES)[number];

/** One hook run, as an operation's result reports it. */
export interface HookOutcome {
  readonly event: HookEvent;
  /** The workload it ran in (identity key). */
  readonly workload: string;
  /**
   * `ok`: exit 0. `failed`: another exit code, or it could not be started. `timed-out`: stopped
   * after `berth.hooks.timeout`. `cancelled`: the operation was cancelled while it ran.
   * `skipped`: the container was not running (or paused), so nothing could run in it.
   */
  readonly status: 'ok' | 'failed' | 'timed-out' | 'cancelled' | 'skipped';
  readonly exitCode?: number;
  readonly durationMs: number;
  /** The end of its output (stdout and stderr as they arrived), at most 64 KiB. */
  readonly output: string;
  /** Bytes of earlier output that were counted but not kept. */
  readonly omittedBytes: number;
  /** Why it failed or was skipped, in words. */
  readonly message?: string;
}
