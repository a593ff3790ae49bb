import { CancelledError } from './errors';

/**
 * What a long operation gets from whoever runs it (the RPC layer or the CLI): a signal that
 * aborts it, and a sink for progress. Services never see RPC or CLI types.
 */
export interface OperationContext {
  readonly signal: AbortSignal;
  readonly progress: ProgressSink;
}

export interface ProgressSink {
  /** `percentage` from 0 to 100 when known. */
  report(message: string, percentage?: number): void;
}

export const silentProgress: ProgressSink = { report: () => undefined };

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

export function detachedContext(signal: AbortSignal = new AbortController().signal): OperationContext {
  return { signal, progress: silentProgress };
}
