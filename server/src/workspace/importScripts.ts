// The in-container halves of import: import-prepare.sh and import-finish.sh (each one's header
// documents its arguments, output and exit codes), bundled as text (esbuild loader `.sh: text`).
// They take all data as positional arguments, never interpolated, and need only sh and
// busybox-level tools; git only for a branch.
import * as l10n from '@vscode/l10n';
import { displayName, nameFromBytes } from '../archive/names';
import { OperationFailedError } from '../errors';
import PREPARE_SCRIPT from './import-prepare.sh';
import FINISH_SCRIPT from './import-finish.sh';

export { FINISH_SCRIPT, PREPARE_SCRIPT };

/** The file that marks a copy in progress; its presence lets a re-run clear a partial copy. */
export const IMPORT_MARKER = '.berth-import-incomplete';

export const ImportExit = {
  NotEmpty: 30,
  NotAFolder: 31,
  CannotCreate: 32,
  CannotClear: 33,
  NoGitForBranch: 34,
  NoFolder: 40,
  NoGitForCheckout: 41,
  CheckoutFailed: 42,
  RecordFailed: 43,
  MarkerFailed: 44,
  ReadOnlyFailed: 45,
} as const;

function outsideProtocol(script: string, stdout: string): OperationFailedError {
  return new OperationFailedError(
    l10n.t('The import script {0} in the container answered "{1}", which is outside its protocol; the import stopped there.', script, displayName(nameFromBytes(Buffer.from(stdout.slice(0, 200), 'latin1')))),
    { detail: 'protocol' },
  );
}

/** Whether the container has git: import-prepare.sh answers exactly `git` or `no-git`, one line. */
export function parsePrepared(stdout: string): boolean {
  if (stdout === 'git\n') return true;
  if (stdout === 'no-git\n') return false;
  throw outsideProtocol('import-prepare.sh', stdout);
}

/**
 * The base import-finish.sh recorded: its answer is exactly one line, `base <id>`, or `base `
 * when there is no commit. Read whole, never searched, so nothing else the container prints
 * (a git of its own) can pass for the base.
 */
export function parseFinished(stdout: string): string | undefined {
  const m = /^base ((?:[0-9a-f]{40}|[0-9a-f]{64})?)\n$/.exec(stdout);
  if (!m) throw outsideProtocol('import-finish.sh', stdout);
  return m[1] === '' ? undefined : m[1];
}
