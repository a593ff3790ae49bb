// Reads a snapshot archive and checks every byte of it against its manifest: the portable file
// (import), or a stored object's data with its separately stored manifest (verify, export,
// restore). Nothing in the archive is trusted before it has been checked, and the reader never
// writes anything itself; a caller that wants the content (pass two of import, restore) gets
// each entry through a visitor after the entry's header has passed every check.
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import * as l10n from '@vscode/l10n';
import { boundedGunzip } from './boundedGunzip';
import { computeContentId } from './contentId';
import { LIMITS, MANIFEST_FILE, parseManifestJson, type ManifestEntry, type ManifestVolume, type SnapshotManifest } from './manifest';
import { displayName } from './names';
import { archivePathOf, parentOf, relPathProblem, splitArchivePath } from './paths';
import { BLOCK } from './tarEncoder';
import { scanTar, type BodySink, type TarEntryHeader } from './tarScanner';

export interface SnapshotEntryVisitor {
  /** The entry passed its header checks; return a sink to receive its body too. */
  entry(volume: ManifestVolume, declared: ManifestEntry): BodySink | undefined;
  ready?(): Promise<void> | void;
}

export interface ReadSnapshotOptions {
  readonly signal?: AbortSignal;
  /** A stored object's manifest. Without it, the archive's first entry must be manifest.json. */
  readonly manifest?: SnapshotManifest;
  /** Names the input in errors that happen before the first entry (a file name). */
  readonly sourceName: string;
  /** Size of the compressed input, for the decompression-ratio check. */
  readonly compressedSize: number;
  /** Builds the error for any problem; `path` names the entry (or manifest.json). */
  readonly problem: (message: string, path: string | undefined) => Error;
  /** Called once the manifest is known and valid (before any data entry is read). */
  readonly onManifest?: (manifest: SnapshotManifest) => void;
  readonly visitor?: SnapshotEntryVisitor;
  /** Decompressed bytes read so far. */
  readonly onProgress?: (rawBytes: number, files: number) => void;
}

export interface ReadSnapshotResult {
  readonly manifest: SnapshotManifest;
  readonly compressedBytes: number;
  readonly compressedSha256: string;
  readonly files: number;
  readonly bytes: number;
}

/** Room for the headers of one entry: a ustar block plus PAX or GNU long-name headers. */
const HEADER_ALLOWANCE = 3 * BLOCK + 2 * 16 * 1024;
/** The end-of-archive marker plus the padding tar writers add to fill a record. */
const TRAILER_ALLOWANCE = 2 * BLOCK + 20 * BLOCK;

export async function readSnapshotArchive(source: Readable, options: ReadSnapshotOptions): Promise<ReadSnapshotResult> {
  const problem = options.problem;
  let manifest = options.manifest;
  let limit = manifest ? boundFor(manifest, 0) : HEADER_ALLOWANCE + roundUp(LIMITS.manifestBytes);
  let current: string | undefined;
  let files = 0;
  let bytes = 0;
  const seen = new Map<number, Set<string>>();
  const declared = new Map<number, Map<string, ManifestEntry>>();

  const adopt = (m: SnapshotManifest, consumed: number) => {
    if (m.totals.bytes > options.compressedSize * LIMITS.maxDeflateRatio + 1024 * 1024) {
      throw problem(
        l10n.t('The manifest declares {0} bytes, more than {1} compressed bytes can hold (a decompression bomb?).', m.totals.bytes, options.compressedSize),
        MANIFEST_FILE,
      );
    }
    manifest = m;
    limit = boundFor(m, consumed);
    options.onManifest?.(m);
  };
  if (manifest) adopt(manifest, 0);
  for (const v of manifest?.volumes ?? []) index(v);

  function index(v: ManifestVolume): void {
    declared.set(v.index, new Map(v.entries.map((e) => [e.path, e])));
    seen.set(v.index, new Set());
  }

  const { output, done } = boundedGunzip(source, {
    maxBytes: () => limit,
    tooBig: (n, max) => problem(l10n.t('The archive decompresses to more than the {0} bytes its manifest accounts for (a decompression bomb?).', max), current ?? options.sourceName),
    corrupt: (detail) => problem(l10n.t('The gzip data is damaged: {0}.', detail), current ?? options.sourceName),
  });

  const manifestSink = (h: TarEntryHeader): BodySink => {
    if (h.kind !== 'file') throw problem(l10n.t('manifest.json must be a regular file.'), h.path);
    if (h.size > LIMITS.manifestBytes) throw problem(l10n.t('manifest.json is larger than {0} bytes.', LIMITS.manifestBytes), h.path);
    const chunks: Buffer[] = [];
    return {
      data: (chunk) => chunks.push(Buffer.from(chunk)),
      end: () => {
        let m: SnapshotManifest;
        try {
          m = parseManifestJson(Buffer.concat(chunks).toString('utf8'));
        } catch (error) {
          throw problem((error as Error).message, (error as { extra?: { path?: string } }).extra?.path ?? MANIFEST_FILE);
        }
        for (const v of m.volumes) index(v);
        adopt(m, HEADER_ALLOWANCE + roundUp(h.size));
      },
    };
  };

  const visit = (h: TarEntryHeader): BodySink | undefined => {
    current = h.path;
    if (!manifest) {
      if (h.path !== MANIFEST_FILE) throw problem(l10n.t('The archive must start with manifest.json, not "{0}".', displayName(h.path)), h.path);
      return manifestSink(h);
    }
    if (h.path === MANIFEST_FILE) throw problem(l10n.t('manifest.json appears more than once.'), h.path);
    const shown = displayName(h.path);
    if (h.path.startsWith('/')) throw problem(l10n.t('Absolute path "{0}" in the archive.', shown), h.path);
    if (h.path.split('/').includes('..')) throw problem(l10n.t('Path "{0}" climbs out with "..".', shown), h.path);
    const where = splitArchivePath(h.path);
    if (!where) throw problem(l10n.t('"{0}" is not under a volume directory (0/, 1/, …).', shown), h.path);
    const volume = manifest.volumes[where.index];
    const entries = declared.get(where.index);
    const seenHere = seen.get(where.index);
    if (!volume || !entries || !seenHere) throw problem(l10n.t('"{0}" belongs to volume {1}, which the manifest does not list.', shown, where.index), h.path);
    const pathProblem = relPathProblem(where.path, manifest.schemaVersion);
    if (pathProblem) throw problem(l10n.t('Unsafe path "{0}": {1}.', shown, pathProblem), h.path);
    if (manifest.schemaVersion === 1) {
      // Schema 1 holds regular files, directories and symlinks only.
      switch (h.kind) {
        case 'hardlink':
          throw problem(l10n.t('"{0}" is a hard link; snapshots of schema 1 hold none.', shown), h.path);
        case 'chardev':
        case 'blockdev':
          throw problem(l10n.t('"{0}" is a device node; snapshots of schema 1 hold none.', shown), h.path);
        case 'fifo':
          throw problem(l10n.t('"{0}" is a FIFO; snapshots of schema 1 hold none.', shown), h.path);
        default:
          break;
      }
    }
    if (where.trailingSlash && h.kind !== 'dir') throw problem(l10n.t('"{0}" ends with a slash but is not a directory.', shown), h.path);
    const d = entries.get(where.path);
    if (!d) throw problem(l10n.t('"{0}" is not declared in the manifest.', shown), h.path);
    if (seenHere.has(where.path)) throw problem(l10n.t('"{0}" appears twice in the archive.', shown), h.path);
    if (where.path !== '.' && !seenHere.has(parentOf(where.path))) throw problem(l10n.t('"{0}" comes before its parent directory.', shown), h.path);
    // A hard link names an entry that came before it (tar's convention, and how it is restored).
    if (d.type === 'hardlink' && !seenHere.has(d.target ?? '')) throw problem(l10n.t('The hard link "{0}" comes before the entry it links to.', shown), h.path);
    seenHere.add(where.path);
    if (d.type !== h.kind) throw problem(l10n.t('"{0}" is a {1} in the archive but a {2} in the manifest.', shown, h.kind, d.type), h.path);
    const size = h.kind === 'file' ? h.size : 0;
    if (size !== d.size) throw problem(l10n.t('Size mismatch for "{0}": the manifest says {1} bytes, the archive holds {2}.', shown, d.size, size), h.path);
    if (h.mode !== d.mode) throw problem(l10n.t('Mode mismatch for "{0}": {1} in the manifest, {2} in the archive.', shown, octal(d.mode), octal(h.mode)), h.path);
    if (h.uid !== d.uid || h.gid !== d.gid) throw problem(l10n.t('Owner mismatch for "{0}": {1}:{2} in the manifest, {3}:{4} in the archive.', shown, d.uid, d.gid, h.uid, h.gid), h.path);
    if (h.kind === 'symlink' && h.linkpath !== d.target) {
      throw problem(l10n.t('The symlink "{0}" points to "{1}" but the manifest says "{2}".', shown, displayName(h.linkpath ?? ''), displayName(d.target ?? '')), h.path);
    }
    if (h.kind === 'hardlink' && h.linkpath !== archivePathOf(where.index, d.target ?? '', false)) {
      throw problem(l10n.t('The hard link "{0}" links to "{1}" but the manifest says "{2}".', shown, displayName(h.linkpath ?? ''), displayName(d.target ?? '')), h.path);
    }
    if ((h.kind === 'chardev' || h.kind === 'blockdev') && (h.devMajor !== d.devMajor || h.devMinor !== d.devMinor)) {
      throw problem(l10n.t('The device "{0}" is {1}:{2} in the archive but {3}:{4} in the manifest.', shown, h.devMajor ?? -1, h.devMinor ?? -1, d.devMajor ?? -1, d.devMinor ?? -1), h.path);
    }
    const inner = options.visitor?.entry(volume, d);
    if (h.kind !== 'file') {
      inner?.end();
      return undefined;
    }
    const hash: Hash = createHash('sha256');
    return {
      data: (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
        inner?.data(chunk);
        options.onProgress?.(bytes, files);
      },
      end: () => {
        if (hash.digest('hex') !== d.sha256) throw problem(l10n.t('The content of "{0}" does not match its SHA-256 in the manifest.', shown), h.path);
        files++;
        inner?.end();
      },
    };
  };

  let scanError: unknown;
  try {
    await scanTar(output, { entry: visit, ready: () => options.visitor?.ready?.() }, {
      signal: options.signal,
      maxMetaBytes: 16 * 1024,
      maxTrailingBytes: TRAILER_ALLOWANCE,
      formatError: (message, path) => problem(l10n.t('The archive is malformed: {0}.', message), path ?? current ?? options.sourceName),
    });
  } catch (error) {
    scanError = error;
  }
  let stats;
  try {
    stats = await done;
  } catch (error) {
    // A damaged gzip stream surfaces in the scanner as a raw zlib error or a premature close;
    // the gunzip side has the classified error, which names the entry.
    if (scanError === undefined || isStreamNoise(scanError)) throw error;
    throw scanError;
  }
  if (scanError !== undefined) throw scanError;
  if (!manifest) throw problem(l10n.t('The archive holds no manifest.json.'), MANIFEST_FILE);
  for (const volume of manifest.volumes) {
    const seenHere = seen.get(volume.index);
    const missing = volume.entries.find((e) => !seenHere?.has(e.path));
    if (missing) throw problem(l10n.t('"{0}" is declared in the manifest but missing from the archive.', displayName(`${volume.index}/${missing.path}`)), `${volume.index}/${missing.path}`);
  }
  // Every entry now matches its declaration byte for byte, so the ID of the declarations is the
  // ID of the content that was read.
  const id = computeContentId(manifest.volumes, manifest.schemaVersion);
  if (id !== manifest.id) throw problem(l10n.t('The snapshot ID {0} does not match its content (which gives {1}).', manifest.id, id), MANIFEST_FILE);
  return { manifest, compressedBytes: stats.compressedBytes, compressedSha256: stats.compressedSha256, files, bytes };
}

/** The most decompressed bytes a faithful archive of this manifest can take. */
function boundFor(manifest: SnapshotManifest, consumed: number): number {
  let total = consumed + TRAILER_ALLOWANCE;
  for (const v of manifest.volumes) for (const e of v.entries) total += HEADER_ALLOWANCE + roundUp(e.size);
  return total;
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

function isStreamNoise(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || (typeof code === 'string' && code.startsWith('Z_'));
}
