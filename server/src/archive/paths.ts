// Path rules shared by capture, the manifest validator, the archive reader and restore, so a
// snapshot that capture writes is always one that import and restore accept, and vice versa.
// Names are exact bytes in Berth's string form (names.ts).
import { hasControlChars, nameByteLength } from './names';

export { hasControlChars };

/** Schema 1's limit on an entry path (bytes). */
export const MAX_PATH_BYTES = 4096;
/**
 * Schema 2's limit on an entry path, and the longest path any restore accepts. A restore names
 * each entry as `berth/p<k>/.berth-restore-<id>-<i>-stage/<path>` (about 52 bytes before the
 * path) and the helper as `./<path>`, and Linux refuses any path of 4096 bytes or more
 * (PATH_MAX), so a longer entry could be stored but never put back.
 */
export const MAX_ENTRY_PATH_BYTES = 4000;
export const MAX_SEGMENT_BYTES = 255;
/** Linux stores at most PATH_MAX - 1 bytes in a symlink. */
export const MAX_LINK_TARGET_BYTES = 4096;

/**
 * Why a volume-relative entry path is not acceptable, or undefined when it is. Acceptable:
 * `.` (the volume root) or `a/b/c` with no empty, `.` or `..` segment, no leading or trailing
 * slash, within the byte limits. Schema 1 also refuses control characters (it could not carry
 * them through its line-based restore helper); schema 2 holds any byte but NUL.
 */
export function relPathProblem(path: string, schema: 1 | 2 = 2): string | undefined {
  if (path === '.') return undefined;
  if (path.length === 0) return 'empty path';
  if (path.includes('\0')) return 'NUL in path';
  if (schema === 1 && hasControlChars(path)) return 'control character in path';
  if (nameByteLength(path) > (schema === 1 ? MAX_PATH_BYTES : MAX_ENTRY_PATH_BYTES)) return 'path too long';
  if (path.startsWith('/')) return 'absolute path';
  if (path.endsWith('/')) return 'trailing slash';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty path segment';
    if (segment === '..') return '".." path segment';
    if (segment === '.') return '"." path segment';
    if (nameByteLength(segment) > MAX_SEGMENT_BYTES) return 'path segment too long';
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
