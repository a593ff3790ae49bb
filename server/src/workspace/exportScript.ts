// The export script's driver side: its argv and its exit codes. The script itself is export.sh
// (its header documents the arguments and the framing of its output); export-cancel.sh stops a
// running one. Both are bundled as text (esbuild loader `.sh: text`).
import EXPORT_SCRIPT from './export.sh';
import CANCEL_SCRIPT from './export-cancel.sh';

export { CANCEL_SCRIPT, EXPORT_SCRIPT };

/** The script's exit codes, so failures are classified by code and never by message text. */
export const ExportExit = {
  NoGit: 3,
  PathMissing: 4,
  NotRepo: 5,
  NotTopLevel: 6,
  ImportIncomplete: 7,
  BadBase: 8,
  TempDir: 9,
  StageFailed: 10,
  DiffFailed: 11,
  /** HEAD names a commit that the repo does not have (objects borrowed from elsewhere, damage). */
  BrokenHead: 12,
  /** The engine could not start `sh` (126: not executable, 127: not found). */
  NoShell126: 126,
  NoShell127: 127,
} as const;

export interface ExportScriptArgs {
  readonly repo: string;
  readonly base?: string;
  readonly stateBase?: string;
  /** Absolute folder for the temp folder: /tmp in containers, the host's temp folder locally. */
  readonly tempRoot: string;
  /** `berth-export.<random hex>`; the sweep of stale folders matches this prefix. */
  readonly tempName: string;
}

/** argv for `sh -c`: `$0` is a name for messages, then the positional arguments. */
export function exportArgv(args: ExportScriptArgs): string[] {
  return ['sh', '-c', EXPORT_SCRIPT, 'berth-export', args.repo, args.base ?? '', args.stateBase ?? '', args.tempRoot, args.tempName];
}
