import type { Readable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import { OperationFailedError } from '../errors';
import type { SnapshotDataWriter } from './dataWriter';
import type { ManifestEntry, SkippedEntry, SkipKind } from './manifest';
import { hasControlChars, linkStaysInside, parentOf, relPathProblem } from './paths';
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
 * leading directory name, renames entries under `<index>/`, hashes every file, and skips (with a
 * record) what a snapshot does not hold: hardlinks, devices, FIFOs, links that leave the volume,
 * names that cannot be stored faithfully, and the content of nested mounts.
 */
export async function captureVolumeTar(source: Readable, options: CaptureVolumeOptions): Promise<CapturedVolume> {
  const base = options.target.slice(options.target.lastIndexOf('/') + 1);
  const entries: ManifestEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const dirs = new Set<string>();
  const seen = new Set<string>();
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

  const visit = (h: TarEntryHeader): BodySink | undefined => {
    const raw = h.path.endsWith('/') ? h.path.slice(0, -1) : h.path;
    if (raw !== base && !raw.startsWith(`${base}/`)) throw fail(l10n.t('entry "{0}" is outside "{1}"', h.path, base), h.path);
    const path = raw === base ? '.' : raw.slice(base.length + 1);
    if (first) {
      if (path !== '.') throw fail(l10n.t('the first entry is not the mount target itself'), h.path);
      if (h.kind !== 'dir') throw new FileMountError(options.target);
    } else if (path === '.') {
      throw fail(l10n.t('the mount target appears twice'), h.path);
    }
    if (seen.has(path)) throw fail(l10n.t('"{0}" appears twice', path), h.path);
    seen.add(path);
    // Anything under a directory we did not keep is covered by that directory's record.
    if (path !== '.' && !dirs.has(parentOf(path))) return undefined;
    if (path.includes('\uFFFD') || hasControlChars(path) || relPathProblem(path)) {
      return skip(path, 'bad-name', l10n.t('the name is not valid UTF-8 or holds control characters'));
    }
    switch (h.kind) {
      case 'hardlink':
        return skip(path, 'hardlink', l10n.t('hard link to {0}', stripBase(h.linkpath ?? '', base)));
      case 'chardev':
      case 'blockdev':
        return skip(path, 'device', l10n.t('device node'));
      case 'fifo':
        return skip(path, 'fifo', l10n.t('named pipe'));
      case 'other':
        return skip(path, 'unsupported', l10n.t('unsupported entry type {0}', h.typeName));
      case 'symlink': {
        const link = h.linkpath ?? '';
        if (!linkStaysInside(options.target, path, link)) return skip(path, 'link-outside', l10n.t('symlink to {0}, outside the volume', link));
        break;
      }
      case 'dir':
      case 'file':
        break;
    }
    const type = h.kind === 'dir' ? 'dir' : h.kind === 'symlink' ? 'symlink' : 'file';
    const start = {
      path,
      type,
      size: type === 'file' ? h.size : 0,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime,
      ...(type === 'symlink' ? { target: h.linkpath ?? '' } : {}),
    } as const;
    options.writer.begin(options.index, start);
    if (first) {
      first = false;
      options.afterFirstEntry?.();
    }
    if (type === 'dir') {
      entries.push(options.writer.end());
      if (nested.has(path)) {
        skip(path, 'nested-mount', l10n.t('another mount; captured as its own volume or skipped as listed'));
      } else {
        dirs.add(path);
      }
      return undefined;
    }
    if (type === 'symlink') {
      entries.push(options.writer.end());
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

function stripBase(linkpath: string, base: string): string {
  return linkpath.startsWith(`${base}/`) ? linkpath.slice(base.length + 1) : linkpath;
}
