import { posix } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { WorkspacePathSource } from '../../../protocol/src';
import { RejectedError } from '../errors';

/** The container label that names a workload's repo path. */
export const WORKSPACE_PATH_LABEL = 'berth.workspace.path';
export const DEFAULT_WORKSPACE_PATH = '/workspace';

/**
 * The repo path inside the container: the request's, else the container's label, else the
 * setting, else /workspace. Every candidate is validated the same way.
 */
export function resolveRepoPath(
  requested: string | undefined,
  labels: Readonly<Record<string, string>>,
  setting: string | undefined,
): { path: string; source: WorkspacePathSource } {
  const label = labels[WORKSPACE_PATH_LABEL]?.trim();
  const candidates: [string | undefined, WorkspacePathSource][] = [
    [requested, 'param'],
    [label, 'label'],
    [setting?.trim(), 'setting'],
    [DEFAULT_WORKSPACE_PATH, 'default'],
  ];
  for (const [value, source] of candidates) {
    if (value) return { path: validateContainerPath(value, source), source };
  }
  return { path: DEFAULT_WORKSPACE_PATH, source: 'default' };
}

/** An absolute, normalized POSIX path other than `/`, on one line. */
export function validateContainerPath(path: string, source: WorkspacePathSource | 'param' = 'param'): string {
  const from = source === 'label' ? l10n.t('the container label {0}', WORKSPACE_PATH_LABEL) : source === 'setting' ? l10n.t('the setting {0}', 'berth.workspace.path') : l10n.t('the request');
  const fail = (message: string) => new RejectedError(message, { path });
  if (/[\0\n\r]/.test(path)) throw fail(l10n.t('The repo path "{0}" (from {1}) holds a NUL or a line break.', path, from));
  if (!path.startsWith('/')) throw fail(l10n.t('The repo path "{0}" (from {1}) must be absolute (start with /).', path, from));
  if (path.length > 1024) throw fail(l10n.t('The repo path "{0}" (from {1}) is longer than 1024 characters.', path, from));
  const trimmed = path.replace(/\/+$/, '') || '/';
  if (trimmed.split('/').some((part) => part === '..' || part === '.')) throw fail(l10n.t('The repo path "{0}" (from {1}) must not contain "." or ".." parts.', path, from));
  const normalized = posix.normalize(trimmed);
  if (normalized === '/') throw fail(l10n.t('The repo path "{0}" (from {1}) must not be the container\'s root folder.', path, from));
  return normalized;
}

/**
 * A revision the user names (`--base`, `--from`): git's syntax allows a lot, so only what could
 * be mistaken for an option or break a line-based protocol is refused here; git decides whether
 * it resolves, and we never interpolate it into a script.
 */
export function validateRevision(rev: string, what: string): string {
  if (rev.length === 0 || rev.length > 512) throw new RejectedError(l10n.t('{0} must be 1 to 512 characters long.', what));
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(rev)) throw new RejectedError(l10n.t('{0} must not hold control characters or line breaks.', what));
  if (rev.startsWith('-')) {
    throw new RejectedError(l10n.t('{0} "{1}" starts with "-", so git would read it as an option. Name the commit differently (for example refs/heads/{1}).', what, rev));
  }
  return rev;
}

/** A branch name: git's own rules (check-ref-format) are applied by git; this refuses the rest early. */
export function validateBranchName(name: string): string {
  validateRevision(name, l10n.t('The branch name'));
  // Characters git never accepts in a branch name; git check-ref-format gives the final word.
  if (/[\s~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.lock$|\.$/.test(name) || name === '@') {
    throw new RejectedError(l10n.t('"{0}" is not a valid git branch name.', name));
  }
  return name;
}
