import type { Readable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import { OperationFailedError } from '../errors';
import type { SnapshotDataWriter } from './dataWriter';
import type { EntryType, ManifestEntry, SkippedEntry, SkipKind } from './manifest';
import { displayName } from './names';
import { parentOf, relPathProblem } from './paths';
import { scanTar, type BodySink, type TarEntryHeader } from './tarScanner';

export interface CaptureVolumeOptions {
  readonly index: number;
  /** The mount target inside the container; the engine names entries after its last segment. */
  readonly target: string;
  /** Volume-relative paths of other mounts below this one: captured separately, excluded here. */
  readonly nestedMounts: readonly string[];
  readonly writer: SnapshotDataWriter;
  readonly signal: AbortSignal;
  /** Body bytes read so far in this volume. */
  readonly onBytes?: (bytes: number) => void;
  /** Called once, after the volume's first entry went to the writer (a crash-test seam). */
  readonly afterFirstEntry?: () => void;
}

export interface CapturedVolume {
  readonly entries: ManifestEntry[];
  readonly skipped: SkippedEntry[];
  readonly files: number;
  readonly bytes: number;
}

/** The mount is a single file, not a directory: capture lists it as skipped. */
export class FileMountError extends Error {}

/**
 * Copies the engine's tar of one mount target into the snapshot data: strips the engine's
 * leading directory name, renames entries under `<index>/`, hashes every file. Everything the
 * engine's archive holds is kept as it is: names as their bytes, hard links as links (to the
 * first name of the inode, which the engine sends first), FIFOs and devices with their numbers,
 * symlinks with their targets verbatim wherever they point (a target is data: nothing ever
 * follows it). Skipped, with a record and a warning, only what cannot be held: a path longer
 * than the format allows, an entry type tar has but a volume does not, a hard link whose first
 * name was not captured, and the content of nested mounts (their own volumes).
 */
export async function captureVolumeTar(source: Readable, options: CaptureVolumeOptions): Promise<CapturedVolume> {
  const base = options.target.slice(options.target.lastIndexOf('/') + 1);
  const entries: ManifestEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const dirs = new Set<string>();
  const seen = new Set<string>();
  const kept = new Map<string, EntryType>();
  const nested = new Set(options.nestedMounts);
  let files = 0;
  let bytes = 0;
  let first = true;
  const fail = (message: string, path: string | undefined) =>
    new OperationFailedError(l10n.t('The engine sent an unexpected archive for {0}: {1}', options.target, message), { step: 'capture.read-volume', ...(path ? { path } : {}) });

  const skip = (path: string, kind: SkipKind, detail: string): undefined => {
    skipped.push({ path, kind, detail });
    return undefined;
  };
  const relative = (archivePath: string): string | undefined => {
    const raw = archivePath.endsWith('/') ? archivePath.slice(0, -1) : archivePath;
    if (raw === base) return '.';
    return raw.startsWith(`${base}/`) ? raw.slice(base.length + 1) : undefined;
  };

  const visit = (h: TarEntryHeader): BodySink | undefined => {
    const path = relative(h.path);
    if (path === undefined) throw fail(l10n.t('entry "{0}" is outside "{1}"', displayName(h.path), base), h.path);
    if (first) {
      if (path !== '.') throw fail(l10n.t('the first entry is not the mount target itself'), h.path);
      if (h.kind !== 'dir') throw new FileMountError(options.target);
    } else if (path === '.') {
      throw fail(l10n.t('the mount target appears twice'), h.path);
    }
    if (seen.has(path)) throw fail(l10n.t('"{0}" appears twice', displayName(path)), h.path);
    seen.add(path);
    // Anything under a directory we did not keep is covered by that directory's record.
    if (path !== '.' && !dirs.has(parentOf(path))) return undefined;
    const pathProblem = relPathProblem(path, 2);
    if (pathProblem) return skip(path, 'bad-name', l10n.t('the name cannot be stored ({0})', pathProblem));
    let target: string | undefined;
    if (h.kind === 'symlink') target = h.linkpath ?? '';
    if (h.kind === 'hardlink') {
      const linked = relative(h.linkpath ?? '');
      const linkedType = linked === undefined ? undefined : kept.get(linked);
      if (linked === undefined || linkedType === undefined || linkedType === 'dir' || linkedType === 'hardlink') {
        return skip(path, 'unsupported', l10n.t('hard link to {0}, which is not in this snapshot', displayName(linked ?? h.linkpath ?? '')));
      }
      target = linked;
    }
    const start = {
      path,
      type: h.kind,
      size: h.kind === 'file' ? h.size : 0,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime,
      ...(target !== undefined ? { target } : {}),
      ...(h.kind === 'chardev' || h.kind === 'blockdev' ? { devMajor: h.devMajor ?? 0, devMinor: h.devMinor ?? 0 } : {}),
    } as const;
    options.writer.begin(options.index, start);
    kept.set(path, h.kind);
    if (first) {
      first = false;
      options.afterFirstEntry?.();
    }
    if (h.kind !== 'file') {
      entries.push(options.writer.end());
      if (h.kind === 'dir') {
        if (nested.has(path)) skip(path, 'nested-mount', l10n.t('another mount; captured as its own volume or skipped as listed'));
        else dirs.add(path);
      }
      return undefined;
    }
    return {
      data: (chunk) => {
        options.writer.data(chunk);
        bytes += chunk.length;
        options.onBytes?.(bytes);
      },
      end: () => {
        entries.push(options.writer.end());
        files++;
      },
    };
  };

  await scanTar(source, { entry: visit, ready: () => options.writer.ready() }, {
    signal: options.signal,
    formatError: (message, path) => fail(message, path),
  });
  if (first) throw fail(l10n.t('the archive is empty'), undefined);
  return { entries, skipped, files, bytes };
}
