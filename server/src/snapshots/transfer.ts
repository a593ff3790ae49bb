// Export and import of the portable file: one gzip tar, manifest.json first, then 0/, 1/, ….
//
// Export steps: export.write (temp file beside the destination, output/userOutput.ts) →
// export.commit (rename). A device or FIFO is written to directly; `-` is standard output.
// Import steps: import.scan (pass 1: the whole file checked, nothing written) → import.write
// (pass 2: re-read, re-checked and re-encoded into a store temp directory) → import.commit
// (object renamed into place) → import.catalog (record written).
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import * as l10n from '@vscode/l10n';
import type { ExportSnapshotResult } from '../../../protocol/src';
import { SnapshotDataWriter } from '../archive/dataWriter';
import { manifestJson, parseManifestJson, type SnapshotManifest } from '../archive/manifest';
import { manifestMember } from '../archive/portable';
import { restoreProblem } from '../archive/restorable';
import { readSnapshotArchive } from '../archive/snapshotReader';
import { crashPoint } from '../crash';
import { CancelledError, InvalidParamsError, NotFoundError, OperationFailedError, RejectedError } from '../errors';
import { openOutput, resolveOutput, type UserOutputOptions } from '../output/userOutput';
import { throwIfCancelled, type OperationContext } from '../operation';
import type { CatalogRecord } from './catalog';
import { formatBytes } from './format';
import { sha256Hex } from './hashing';
import { writeNewFileDurable } from './durable';
import { OBJECT_FILES } from './layout';
import type { Seal, SnapshotStore } from './store';
import { loadSealedManifest } from './verify';

export async function exportSnapshot(store: SnapshotStore, record: CatalogRecord, file: string, ctx: OperationContext, output: UserOutputOptions = {}): Promise<ExportSnapshotResult> {
  if (file !== '-' && !isAbsolute(file)) throw new InvalidParamsError(l10n.t('The export file must be an absolute path, not "{0}".', file));
  // Checked before anything is read: a folder, a block device or a dangling link is refused, a
  // device or FIFO is written to and never replaced, a regular file is replaced whole.
  const target = await resolveOutput(file, output);
  const { seal, manifest } = await loadSealedManifest(store, record.id);
  const text = manifestJson(exportManifest(manifest, record));
  // The exported manifest must pass the same validation an import applies.
  parseManifestJson(text);
  const head = await manifestMember(text, Math.floor(Date.parse(record.capturedAt) / 1000));
  const out = await openOutput(target, { ...output, mode: 0o644 });
  const whole = createHash('sha256');
  let position = 0;
  try {
    await out.write(head);
    whole.update(head);
    position = head.length;
    const data = createHash('sha256');
    for await (const chunk of createReadStream(join(store.objectDir(record.id), OBJECT_FILES.data), { highWaterMark: 1024 * 1024, signal: ctx.signal })) {
      const buffer = chunk as Buffer;
      await out.write(buffer);
      data.update(buffer);
      whole.update(buffer);
      position += buffer.length;
      ctx.progress.report(l10n.t('Exporting {0}: {1} of {2}', record.id.slice(0, 12), formatBytes(position - head.length), formatBytes(seal.dataBytes)), Math.round(((position - head.length) / Math.max(1, seal.dataBytes)) * 100));
    }
    // Never hand out damaged data: the copy must match the seal taken at capture. (A device or
    // FIFO has already received the bytes; the error and the broken gzip trailer tell its reader.)
    if (data.digest('hex') !== seal.dataSha256 || position - head.length !== seal.dataBytes) {
      throw new OperationFailedError(l10n.t('The stored data of snapshot {0} is damaged; run "berth snapshots verify {0}".', record.id.slice(0, 12)), { path: OBJECT_FILES.data });
    }
    await out.commit({
      beforeReplace: () => {
        crashPoint('export.write');
        throwIfCancelled(ctx.signal);
      },
    });
    crashPoint('export.commit');
  } catch (error) {
    await out.abort();
    throw ctx.signal.aborted ? new CancelledError() : error;
  }
  return { file, bytes: position, sha256: whole.digest('hex') };
}

/** The stored content with this catalog record's metadata (who, when, label, quiesce, sources). */
function exportManifest(m: SnapshotManifest, record: CatalogRecord): SnapshotManifest {
  return {
    ...m,
    workload: record.workload,
    capturedAt: record.capturedAt,
    label: record.label,
    quiesce: record.quiesce,
    volumes: m.volumes.map((v) => {
      const r = record.volumes.find((x) => x.index === v.index);
      return r ? { ...v, source: r.source, readOnly: r.readOnly } : v;
    }),
  };
}

export interface ImportedObject {
  readonly manifest: SnapshotManifest;
  readonly seal: Seal;
}

/**
 * Imports a portable file into a store temp directory and commits it. The file is treated as
 * hostile: pass one reads all of it and checks everything before anything is written; pass two
 * reads it again, checks it again (the file may have changed in between: its hash must equal
 * pass one's), and re-encodes the checked entries with Berth's own writer, so the store only
 * ever holds archives Berth wrote.
 */
export async function importFile(store: SnapshotStore, file: string, ctx: OperationContext, commit: (temp: string, object: ImportedObject) => Promise<void>): Promise<void> {
  if (!isAbsolute(file)) throw new InvalidParamsError(l10n.t('The file to import must be an absolute path, not "{0}".', file));
  const size = await regularFileSize(file);
  const problem = (message: string, path: string | undefined) => new RejectedError(l10n.t('Refused to import {0}: {1}', basename(file), message), path ? { path } : {});
  let lastReport = 0;
  const progress = (pass: string) => (bytes: number) => {
    const now = Date.now();
    if (now - lastReport < 250) return;
    lastReport = now;
    ctx.progress.report(l10n.t('{0} {1}: {2}', pass, basename(file), formatBytes(bytes)));
  };

  ctx.progress.report(l10n.t('Checking {0}', basename(file)), 0);
  const first = await readSnapshotArchive(createReadStream(file, { highWaterMark: 1024 * 1024 }), {
    signal: ctx.signal,
    compressedSize: size,
    sourceName: basename(file),
    problem,
    onProgress: progress(l10n.t('Checking')),
  });
  // Berth stores only what it could restore: verified means restorable (restorable.ts).
  const unrestorable = restoreProblem(first.manifest);
  if (unrestorable) throw problem(unrestorable.message, unrestorable.path);
  crashPoint('import.scan');
  throwIfCancelled(ctx.signal);

  await store.ensure();
  const temp = await store.createTempDir('import');
  try {
    const handle = await open(join(temp, OBJECT_FILES.data), constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    const writer = new SnapshotDataWriter(handle);
    let second;
    let data;
    try {
      second = await readSnapshotArchive(createReadStream(file, { highWaterMark: 1024 * 1024 }), {
        signal: ctx.signal,
        compressedSize: size,
        sourceName: basename(file),
        problem,
        onProgress: progress(l10n.t('Storing')),
        visitor: {
          entry: (volume, declared) => {
            const { sha256: _hash, ...start } = declared;
            writer.begin(volume.index, start);
            return { data: (chunk) => writer.data(chunk), end: () => void writer.end() };
          },
          ready: () => writer.ready(),
        },
      });
      if (second.compressedSha256 !== first.compressedSha256) throw problem(l10n.t('the file changed while it was being imported'), undefined);
      data = await writer.finish();
    } catch (error) {
      writer.abort(error as Error);
      await writer.settled();
      throw ctx.signal.aborted ? new CancelledError() : error;
    } finally {
      await handle.close();
    }
    const manifest = second.manifest;
    const manifestText = manifestJson(manifest);
    await writeNewFileDurable(join(temp, OBJECT_FILES.manifest), manifestText);
    const seal: Seal = { schemaVersion: 1, id: manifest.id, manifestSha256: sha256Hex(manifestText), dataSha256: data.sha256, dataBytes: data.bytes };
    await writeNewFileDurable(join(temp, OBJECT_FILES.seal), JSON.stringify(seal));
    crashPoint('import.write');
    throwIfCancelled(ctx.signal);
    await commit(temp, { manifest, seal });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function regularFileSize(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(l10n.t('There is no file {0}.', file));
    throw error;
  }
  if (!info.isFile()) throw new RejectedError(l10n.t('{0} is not a regular file.', file), { path: file });
  return info.size;
}

