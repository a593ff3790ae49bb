import * as l10n from '@vscode/l10n';
import type { Workload } from '../../../protocol/src';
import { displayName } from '../archive/names';
import { BerthError, ConflictError, NotFoundError, OperationFailedError } from '../errors';
import type { ScriptResult } from './runner';
import { ScriptExit, type ScriptEvent } from './script';

export interface OperationSubject {
  readonly op: 'install' | 'rollback' | 'remove' | 'sweep';
  readonly workload: Workload;
  readonly root: string;
  readonly name?: string;
}

/** The first value of `INFO <key> <value>`. */
export function info(events: readonly ScriptEvent[], key: string): string | undefined {
  for (const e of events) if (e.kind === 'info' && e.key === key) return e.value;
  return undefined;
}

/**
 * What a sweep did, as `<name> rolled-back|rolled-forward` and `.staging/<entry>` strings for
 * people: a leftover's name is whatever bytes the container chose, so it is shown as
 * displayName shows it (`\n`, `\xe9`, `\\`), never as raw control characters.
 */
export function swept(events: readonly ScriptEvent[]): { recovered: string[]; removed: string[] } {
  const recovered: string[] = [];
  const removed: string[] = [];
  for (const e of events) {
    if (e.kind === 'recovered') recovered.push(`${displayName(e.name)} ${e.how}`);
    else if (e.kind === 'removed') removed.push(displayName(e.entry));
  }
  return { recovered, removed };
}

export function lastStep(events: readonly ScriptEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.kind === 'step') return e.step;
  }
  return undefined;
}

function title(s: OperationSubject): string {
  switch (s.op) {
    case 'install':
      return l10n.t('Installing plugin {0} into {1} failed', s.name ?? '?', s.workload.name);
    case 'rollback':
      return l10n.t('Rolling back plugin {0} in {1} failed', s.name ?? '?', s.workload.name);
    case 'remove':
      return l10n.t('Removing plugin {0} from {1} failed', s.name ?? '?', s.workload.name);
    case 'sweep':
      return l10n.t('Sweeping the plugin leftovers of {0} failed', s.workload.name);
  }
}

/**
 * Turns a failed run of the script into a named error that says at which step it failed, why,
 * and what was rolled back (or why the rollback failed too). `cause` replaces the script's own
 * reason when the real cause lies in the backend (a source file that could not be read).
 */
export function scriptFailure(s: OperationSubject, result: ScriptResult, cause?: string): BerthError {
  const events = result.events;
  const fail = events.find((e): e is Extract<ScriptEvent, { kind: 'fail' }> => e.kind === 'fail');
  const step = fail?.step ?? lastStep(events) ?? `${s.op}.prepare`;
  const warnings = events.filter((e): e is Extract<ScriptEvent, { kind: 'warn' }> => e.kind === 'warn').map((e) => e.text);
  const reason = cause ?? ([fail?.text, ...warnings].filter(Boolean).join('; ') || stderrLine(result.stderr) || l10n.t('no reason given'));
  const rolledBack = events.find((e): e is Extract<ScriptEvent, { kind: 'rollback' }> => e.kind === 'rollback')?.text;
  const rollbackFailed = events.find((e): e is Extract<ScriptEvent, { kind: 'rollbackFail' }> => e.kind === 'rollbackFail')?.text;
  const head = title(s);
  switch (result.exitCode) {
    case ScriptExit.NotFound: {
      const text = events.find((e): e is Extract<ScriptEvent, { kind: 'notfound' }> => e.kind === 'notfound')?.text ?? reason;
      return new NotFoundError(`${head}: ${text}.`, { step, path: s.root });
    }
    case ScriptExit.Conflict: {
      const text = events.find((e): e is Extract<ScriptEvent, { kind: 'conflict' }> => e.kind === 'conflict')?.text ?? reason;
      return new ConflictError(`${head}: ${text}.`, { step, path: s.root });
    }
    case ScriptExit.MarkerFailed: {
      const live = `${s.root}/${s.name ?? ''}`;
      return new OperationFailedError(
        l10n.t(
          '{0} at step {1}: {2}. The new files are in place in {3} but not marked complete, so loaders refuse them; nothing was rolled back. To recover, install the plugin again, or roll back with "berth plugins rollback {4} {5}", or, after checking the files, create {3}/.complete yourself.',
          head,
          step,
          reason,
          live,
          s.workload.name,
          s.name ?? '',
        ),
        { step, path: live, rollback: l10n.t('nothing: the content has landed unmarked') },
      );
    }
    case ScriptExit.RollbackFailed:
      return new OperationFailedError(
        l10n.t('{0} at step {1}: {2}. The rollback failed too: {3}. Check {4} by hand; "berth plugins sweep {5}" retries the cleanup.', head, step, reason, rollbackFailed ?? '?', s.root, s.workload.name),
        { step, path: s.root, rollback: l10n.t('failed: {0}', rollbackFailed ?? '?') },
      );
    case ScriptExit.RolledBack:
      return new OperationFailedError(
        rolledBack ? l10n.t('{0} at step {1}: {2}. Rolled back: {3}.', head, step, reason, rolledBack) : l10n.t('{0} at step {1}: {2}.', head, step, reason),
        { step, path: s.root, ...(rolledBack ? { rollback: rolledBack } : {}) },
      );
    default:
      return new OperationFailedError(
        l10n.t('{0} at step {1}: the script in the container ended with exit code {2}. {3}', head, step, result.exitCode, reason),
        { step, path: s.root, detail: `exit ${result.exitCode}` },
      );
  }
}

function stderrLine(stderr: string): string {
  return stderr.replace(/\s+/g, ' ').trim().slice(0, 2000);
}
