// Path rules shared by capture, the manifest validator and the archive reader, so a snapshot
// that capture writes is always one that import and restore accept, and vice versa.

export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;
export const MAX_LINK_TARGET_BYTES = 4096;

// Control characters break line-based tools and node-tar's PAX parser (a newline inside a
// `path=` record is silently dropped), so names holding them are never stored.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function hasControlChars(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Why a volume-relative entry path is not acceptable, or undefined when it is. Acceptable:
 * `.` (the volume root) or `a/b/c` with no empty, `.` or `..` segment, no leading or trailing
 * slash, no control characters, within the byte limits.
 */
export function relPathProblem(path: string): string | undefined {
  if (path === '.') return undefined;
  if (path.length === 0) return 'empty path';
  if (hasControlChars(path)) return 'control character in path';
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return 'path too long';
  if (path.startsWith('/')) return 'absolute path';
  if (path.endsWith('/')) return 'trailing slash';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty path segment';
    if (segment === '..') return '".." path segment';
    if (segment === '.') return '"." path segment';
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return 'path segment too long';
  }
  return undefined;
}

/** The parent of a volume-relative path: `.` for top-level names. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
}

/** Why a mount target is not acceptable: it must be absolute, normalized and not `/`. */
export function mountTargetProblem(target: string): string | undefined {
  if (!target.startsWith('/')) return 'not absolute';
  if (target === '/') return 'the root directory';
  if (hasControlChars(target)) return 'control character';
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) return 'too long';
  const rest = target.slice(1);
  if (rest.endsWith('/')) return 'trailing slash';
  for (const segment of rest.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'not normalized';
  }
  return undefined;
}

/**
 * Whether a symlink stays inside its volume, resolved the way the container sees it: an
 * absolute target must lie under the volume's mount target; a relative one is resolved from
 * the link's directory and must never climb above the volume root. The check is lexical (no
 * link is ever followed, by this check or by extraction, which creates links last).
 */
export function linkStaysInside(volumeTarget: string, linkPath: string, linkTarget: string): boolean {
  if (linkTarget.length === 0 || linkTarget.includes('\0') || Buffer.byteLength(linkTarget) > MAX_LINK_TARGET_BYTES) return false;
  let segments: string[];
  let rest: string;
  if (linkTarget.startsWith('/')) {
    const root = volumeTarget.endsWith('/') ? volumeTarget : `${volumeTarget}/`;
    if (linkTarget !== volumeTarget && !linkTarget.startsWith(root)) return false;
    segments = [];
    rest = linkTarget.slice(volumeTarget.length);
  } else {
    const parent = parentOf(linkPath);
    segments = parent === '.' ? [] : parent.split('/');
    rest = linkTarget;
  }
  for (const segment of rest.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return false;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return true;
}

/** Splits an archive path `<index>/<rest>` into the volume index and the volume-relative path. */
export function splitArchivePath(archivePath: string): { index: number; path: string; trailingSlash: boolean } | undefined {
  const match = /^(0|[1-9][0-9]{0,3})(\/(.*))?$/s.exec(archivePath);
  if (!match) return undefined;
  const index = Number(match[1]);
  let rest = match[3] ?? '';
  const trailingSlash = rest.endsWith('/') || (match[2] !== undefined && rest === '');
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  return { index, path: rest === '' ? '.' : rest, trailingSlash };
}

/** The archive path of a volume-relative entry: `0/` for the root, `0/a/b` otherwise. */
export function archivePathOf(index: number, path: string, isDir: boolean): string {
  if (path === '.') return `${index}/`;
  return `${index}/${path}${isDir ? '/' : ''}`;
}
