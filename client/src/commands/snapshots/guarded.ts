import type { Ctx } from '../../ctx';
import { showOperationError } from '../showOperationError';

/**
 * Runs a command's body so that any failure (also while picking a workload or snapshot) shows
 * as an error notification with "Open Log", never as an unhandled command error.
 */
export function guarded<A extends unknown[], R>(ctx: Ctx, body: (...args: A) => Promise<R | undefined>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await body(...args);
    } catch (error) {
      showOperationError(ctx, error);
      return undefined;
    }
  };
}
