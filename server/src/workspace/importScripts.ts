// The in-container halves of import: import-prepare.sh and import-finish.sh (each one's header
// documents its arguments, output and exit codes), bundled as text (esbuild loader `.sh: text`).
// They take all data as positional arguments, never interpolated, and need only sh and
// busybox-level tools; git only for a branch.
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
