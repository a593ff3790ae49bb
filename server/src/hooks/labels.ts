// A workload's hooks, read from its container labels (docs/consistency.md):
//   berth.hooks.pre-snapshot, berth.hooks.post-snapshot, berth.hooks.pre-restore,
//   berth.hooks.post-restore   an argv as a JSON array (["pg_dump","-f","/x","app"]), or a
//                              string run by /bin/sh -c
//   berth.hooks.timeout        60 (seconds), or 90s, 5m, 1h; default 60 s
//   berth.hooks.on-error       fail (default) or continue
// A label Berth cannot use is refused (Rejected, exit 5) before the operation touches anything:
// a typo must not turn into a snapshot taken without the dump the user asked for.
import * as l10n from '@vscode/l10n';
import { HOOK_ERROR_MODES, HOOK_EVENTS, type HookErrorMode, type HookEvent } from '../../../protocol/src';
import { echo } from '../echo';
import { RejectedError } from '../errors';

export const HOOK_LABEL_PREFIX = 'berth.hooks.';
export const DEFAULT_HOOK_TIMEOUT_MS = 60_000;
/** A hook that runs longer than a day is a mistake in the label, not a dump. */
const MAX_TIMEOUT_MS = 24 * 3600_000;
const MAX_ARGS = 256;
const MAX_COMMAND_CHARS = 64 * 1024;

export interface HookCommand {
  /** What is executed: the JSON argv, or ["/bin/sh", "-c", <string>]. */
  readonly argv: readonly string[];
  /** True when the label was a string, which needs /bin/sh in the container. */
  readonly shell: boolean;
  /** The label's value, for messages. */
  readonly text: string;
}

export interface WorkloadHooks {
  readonly commands: Readonly<Partial<Record<HookEvent, HookCommand>>>;
  readonly timeoutMs: number;
  readonly onError: HookErrorMode;
}

export const NO_HOOKS: WorkloadHooks = { commands: {}, timeoutMs: DEFAULT_HOOK_TIMEOUT_MS, onError: 'fail' };

/** The hooks a container's labels declare; Rejected naming the label when one is unusable. */
export function hooksFromLabels(labels: Readonly<Record<string, string>>, workload: string): WorkloadHooks {
  const commands: Partial<Record<HookEvent, HookCommand>> = {};
  for (const event of HOOK_EVENTS) {
    const raw = labels[`${HOOK_LABEL_PREFIX}${event}`];
    if (raw === undefined || raw.trim() === '') continue;
    commands[event] = parseCommand(raw, `${HOOK_LABEL_PREFIX}${event}`, workload);
  }
  const unknown = Object.keys(labels).filter((k) => k.startsWith(HOOK_LABEL_PREFIX) && !isKnownLabel(k.slice(HOOK_LABEL_PREFIX.length)));
  if (unknown.length > 0) {
    // A misspelt event (`berth.hooks.pre-snapshots`) would silently run nothing.
    throw new RejectedError(
      l10n.t('{0} has the label {1}, which Berth does not know; the hook labels are {2}.', workload, echo(unknown[0] ?? ''), [...HOOK_EVENTS, 'timeout', 'on-error'].map((e) => HOOK_LABEL_PREFIX + e).join(', ')),
      { detail: unknown[0] ?? '' },
    );
  }
  return {
    commands,
    timeoutMs: parseTimeout(labels[`${HOOK_LABEL_PREFIX}timeout`], workload),
    onError: parseOnError(labels[`${HOOK_LABEL_PREFIX}on-error`], workload),
  };
}

function isKnownLabel(name: string): boolean {
  return (HOOK_EVENTS as readonly string[]).includes(name) || name === 'timeout' || name === 'on-error';
}

function parseCommand(raw: string, label: string, workload: string): HookCommand {
  const refuse = (why: string) => new RejectedError(l10n.t('The label {0} of {1} cannot be used: {2}', label, workload, why), { detail: label });
  if (raw.length > MAX_COMMAND_CHARS) throw refuse(l10n.t('it is longer than {0} characters', MAX_COMMAND_CHARS));
  if (raw.includes('\0')) throw refuse(l10n.t('it holds a NUL character'));
  const text = raw.trim();
  if (!text.startsWith('[')) return { argv: ['/bin/sh', '-c', raw], shell: true, text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw refuse(l10n.t('it starts with "[" but is not a JSON array of strings ({0})', (error as Error).message));
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((a): a is string => typeof a === 'string')) {
    throw refuse(l10n.t('it starts with "[" but is not a non-empty JSON array of strings'));
  }
  if (value.length > MAX_ARGS) throw refuse(l10n.t('it has more than {0} arguments', MAX_ARGS));
  if ((value[0] ?? '') === '') throw refuse(l10n.t('its first element (the program) is empty'));
  return { argv: value, shell: false, text };
}

/** `60` (seconds), `90s`, `5m`, `1h`, `1500ms`. */
export function parseTimeout(raw: string | undefined, workload: string): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_HOOK_TIMEOUT_MS;
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(raw.trim());
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3600_000 }[(m?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = m ? Number(m[1]) * factor : Number.NaN;
  if (!(ms >= 1000 && ms <= MAX_TIMEOUT_MS)) {
    throw new RejectedError(
      l10n.t('The label {0} of {1} must be a duration from 1s to 24h such as 60, 90s, 5m or 1h, not "{2}".', `${HOOK_LABEL_PREFIX}timeout`, workload, echo(raw)),
      { detail: `${HOOK_LABEL_PREFIX}timeout` },
    );
  }
  return ms;
}

function parseOnError(raw: string | undefined, workload: string): HookErrorMode {
  if (raw === undefined || raw.trim() === '') return 'fail';
  const value = raw.trim();
  if ((HOOK_ERROR_MODES as readonly string[]).includes(value)) return value as HookErrorMode;
  throw new RejectedError(
    l10n.t('The label {0} of {1} must be "fail" or "continue", not "{2}".', `${HOOK_LABEL_PREFIX}on-error`, workload, echo(raw)),
    { detail: `${HOOK_LABEL_PREFIX}on-error` },
  );
}
