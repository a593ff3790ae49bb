// The hooks of one operation (a capture, a project capture, a restore) over the workloads it acts
// on, with the rules of docs/consistency.md:
//   - pre-hooks run before the operation touches anything; one that fails with on-error=fail
//     stops the operation there (nothing was paused, staged or swapped);
//   - once the pre phase has begun for a workload, its post-hook runs exactly once, whatever
//     happens: success, failure of the operation or of a pre-hook, cancel;
//   - with on-error=continue a failure is a warning and the operation goes on.
// Pre-hooks run in the order given (dependents first for a project), post-hooks in reverse.
import * as l10n from '@vscode/l10n';
import type { HookEvent, HookOutcome } from '../../../protocol/src';
import type { Engine } from '../engine/engine';
import { CancelledError, OperationFailedError } from '../errors';
import type { Log } from '../log';
import type { WorkloadHooks } from './labels';
import { outcomeText, runHook, type HookTarget } from './runner';

export interface HookedWorkload {
  readonly target: HookTarget;
  readonly hooks: WorkloadHooks;
}

/** How much of a failed hook's output its error message quotes. */
const QUOTED_OUTPUT = 600;

export class OperationHooks {
  readonly outcomes: HookOutcome[] = [];
  readonly warnings: string[] = [];
  /** Workloads whose pre phase began: their post-hooks are owed. */
  private readonly owed: HookedWorkload[] = [];
  private postDone = false;
  private postError: OperationFailedError | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly workloads: readonly HookedWorkload[],
    private readonly events: { readonly pre: HookEvent; readonly post: HookEvent },
    private readonly log: Log,
    /** Tells the user which hook is running (the operation's progress). */
    private readonly announce: (message: string) => void = () => undefined,
  ) {}

  /** Whether any of the workloads declares a hook for this operation. */
  get any(): boolean {
    return this.workloads.some((w) => w.hooks.commands[this.events.pre] !== undefined || w.hooks.commands[this.events.post] !== undefined);
  }

  /**
   * Runs the pre-hooks in order. Throws OperationFailed for a failing hook of an on-error=fail
   * workload, after running the post-hooks owed so far (including that workload's own).
   */
  async pre(signal: AbortSignal): Promise<void> {
    for (const w of this.workloads) {
      this.owed.push(w);
      if (!w.hooks.commands[this.events.pre]) continue;
      this.announce(l10n.t('Running the {0} hook of {1}', this.events.pre, w.target.name));
      const outcome = await runHook(this.engine, w.target, this.events.pre, w.hooks, { log: this.log, signal });
      if (!outcome) continue;
      this.outcomes.push(outcome);
      if (outcome.status === 'ok' || outcome.status === 'skipped') continue;
      if (outcome.status === 'cancelled') {
        await this.post();
        throw new CancelledError(l10n.t('The operation was cancelled while the {0} hook of {1} ran; the hook was stopped and nothing was touched.', this.events.pre, w.target.name));
      }
      if (w.hooks.onError === 'continue') {
        this.warnings.push(failureText(outcome, w, true));
        continue;
      }
      await this.post();
      throw new OperationFailedError(`${failureText(outcome, w, false)} ${l10n.t('The operation stopped before touching anything.')}`, { step: `hook.${this.events.pre}` });
    }
  }

  /**
   * Runs the owed post-hooks (in reverse order), once; never throws and never takes the
   * operation's cancel: a post-hook undoes what its pre-hook did. A failure of an on-error=fail
   * workload is kept for `postFailure()`.
   */
  async post(): Promise<void> {
    if (this.postDone) return;
    this.postDone = true;
    for (const w of [...this.owed].reverse()) {
      if (!w.hooks.commands[this.events.post]) continue;
      this.announce(l10n.t('Running the {0} hook of {1}', this.events.post, w.target.name));
      let outcome: HookOutcome | undefined;
      try {
        outcome = await runHook(this.engine, w.target, this.events.post, w.hooks, { log: this.log });
      } catch (error) {
        outcome = { event: this.events.post, workload: w.target.key, status: 'failed', durationMs: 0, output: '', omittedBytes: 0, message: String(error) };
      }
      if (!outcome) continue;
      this.outcomes.push(outcome);
      if (outcome.status === 'ok' || outcome.status === 'skipped') continue;
      if (w.hooks.onError === 'continue') this.warnings.push(failureText(outcome, w, true));
      else this.postError ??= new OperationFailedError(failureText(outcome, w, false), { step: `hook.${this.events.post}` });
    }
  }

  /** The first post-hook failure of an on-error=fail workload, if any. */
  postFailure(): OperationFailedError | undefined {
    return this.postError;
  }
}

function failureText(outcome: HookOutcome, w: HookedWorkload, continued: boolean): string {
  const quoted = outcome.output.trim().slice(-QUOTED_OUTPUT);
  const what = l10n.t('The {0} hook of {1} {2}.', outcome.event, w.target.name, outcomeText(outcome));
  const tail = quoted ? ` ${l10n.t('Its last output: {0}', quoted)}` : '';
  return continued ? `${what} ${l10n.t('Continuing (berth.hooks.on-error=continue).')}${tail}` : `${what}${tail}`;
}
