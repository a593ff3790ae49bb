// The snapshot manifest: its types, its limits, and the strict validator that every manifest
// goes through before anything trusts it (import, verify, restore). A manifest may come from
// anywhere, so the validator checks every type, bound and cross-reference, and builds fresh
// objects from the checked fields instead of passing the parsed JSON on.
import * as l10n from '@vscode/l10n';
import type { AppliedQuiesce, WorkloadIdentity } from '../../../protocol/src';
import { RejectedError } from '../errors';
import { hasControlChars, linkStaysInside, MAX_LINK_TARGET_BYTES, mountTargetProblem, parentOf, relPathProblem } from './paths';

export const MANIFEST_FORMAT = 'berth-snapshot';
export const MANIFEST_SCHEMA_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/** Limits on what a manifest may declare; docs/snapshots.md explains each. */
export const LIMITS = {
  manifestBytes: 64 * 1024 * 1024,
  volumes: 64,
  entries: 1_000_000,
  skipped: 100_000,
  /** 16 TiB: far above any volume this tool is meant for, and a bound on work per import. */
  totalBytes: 2 ** 44,
  labelChars: 256,
  textChars: 4096,
  /** Deflate cannot expand data by more than about 1032:1, so a larger declared total is a lie. */
  maxDeflateRatio: 1100,
} as const;

export type EntryType = 'file' | 'dir' | 'symlink';

export interface ManifestEntry {
  /** Volume-relative POSIX path; `.` is the volume root. */
  readonly path: string;
  readonly type: EntryType;
  /** Bytes of content (0 for directories and symlinks). */
  readonly size: number;
  /** Permission bits including setuid/setgid/sticky (0..0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time in whole seconds since the epoch (kept, but not part of the ID). */
  readonly mtime: number;
  /** Regular files: SHA-256 of the content, lowercase hex. */
  readonly sha256?: string;
  /** Symlinks: the link target, exactly as stored. */
  readonly target?: string;
}

export type SkipKind = 'hardlink' | 'device' | 'fifo' | 'socket' | 'unsupported' | 'link-outside' | 'bad-name' | 'nested-mount';
export const SKIP_KINDS: readonly SkipKind[] = ['hardlink', 'device', 'fifo', 'socket', 'unsupported', 'link-outside', 'bad-name', 'nested-mount'];

export interface SkippedEntry {
  readonly path: string;
  readonly kind: SkipKind;
  readonly detail: string;
}

export interface ManifestVolume {
  readonly index: number;
  readonly target: string;
  readonly type: 'volume' | 'bind';
  readonly source: string;
  readonly readOnly: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly entries: readonly ManifestEntry[];
  readonly skipped: readonly SkippedEntry[];
}

export type SkippedMountReason = 'tmpfs' | 'anonymous' | 'file' | 'unsupported';
export const SKIPPED_MOUNT_REASONS: readonly SkippedMountReason[] = ['tmpfs', 'anonymous', 'file', 'unsupported'];

export interface SkippedMount {
  readonly target: string;
  readonly type: string;
  readonly source: string;
  readonly reason: SkippedMountReason;
}

export interface SnapshotManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  readonly id: string;
  readonly workload: WorkloadIdentity;
  readonly capturedAt: string;
  readonly quiesce: AppliedQuiesce;
  readonly label: string;
  readonly volumes: readonly ManifestVolume[];
  readonly skippedMounts: readonly SkippedMount[];
  readonly totals: { readonly files: number; readonly bytes: number };
}

const QUIESCE: readonly AppliedQuiesce[] = ['pause', 'stop', 'none', 'offline'];
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses manifest JSON text, refusing prototype-polluting keys anywhere in it. */
export function parseManifestJson(text: string): SnapshotManifest {
  if (Buffer.byteLength(text) > LIMITS.manifestBytes) {
    throw reject(l10n.t('The manifest is larger than {0} bytes.', LIMITS.manifestBytes), 'manifest.json');
  }
  let forbidden: string | undefined;
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) forbidden ??= key;
      return v;
    });
  } catch (error) {
    throw reject(l10n.t('The manifest is not valid JSON: {0}', (error as Error).message), 'manifest.json');
  }
  if (forbidden !== undefined) throw reject(l10n.t('The manifest holds the forbidden key "{0}".', forbidden), 'manifest.json');
  return validateManifest(value);
}

/** Checks a parsed manifest completely and returns a clean copy; throws RejectedError. */
export function validateManifest(value: unknown): SnapshotManifest {
  const root = obj(value, 'manifest', ['format', 'schemaVersion', 'id', 'workload', 'capturedAt', 'quiesce', 'label', 'volumes', 'skippedMounts', 'totals']);
  if (root.format !== MANIFEST_FORMAT) throw field('manifest.format', l10n.t('must be "{0}"', MANIFEST_FORMAT));
  if (root.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    throw field('manifest.schemaVersion', l10n.t('must be {0} (this version of Berth reads only that schema)', MANIFEST_SCHEMA_VERSION));
  }
  const id = str(root.id, 'manifest.id', 64);
  if (!HEX64.test(id)) throw field('manifest.id', l10n.t('must be 64 lowercase hex digits'));
  const workload = identity(root.workload);
  const capturedAt = str(root.capturedAt, 'manifest.capturedAt', 40);
  if (!ISO_TIME.test(capturedAt) || Number.isNaN(Date.parse(capturedAt))) throw field('manifest.capturedAt', l10n.t('must be an ISO 8601 UTC time'));
  const quiesce = oneOf(root.quiesce, 'manifest.quiesce', QUIESCE);
  const label = text(root.label, 'manifest.label', LIMITS.labelChars, true);

  const rawVolumes = arr(root.volumes, 'manifest.volumes', LIMITS.volumes);
  if (rawVolumes.length === 0) throw field('manifest.volumes', l10n.t('must list at least one volume'));
  const seenIndexes = new Set<number>();
  const seenTargets = new Set<string>();
  let entryCount = 0;
  let skippedCount = 0;
  const volumes: ManifestVolume[] = [];
  rawVolumes.forEach((raw, position) => {
    const where = `manifest.volumes[${position}]`;
    const v = obj(raw, where, ['index', 'target', 'type', 'source', 'readOnly', 'files', 'bytes', 'entries', 'skipped']);
    const index = int(v.index, `${where}.index`, 0, LIMITS.volumes - 1);
    if (index >= rawVolumes.length) throw field(`${where}.index`, l10n.t('{0} is out of range (the manifest lists {1} volumes)', index, rawVolumes.length));
    if (seenIndexes.has(index)) throw field(`${where}.index`, l10n.t('{0} is a duplicate', index));
    if (index !== position) throw field(`${where}.index`, l10n.t('volumes must be listed in index order'));
    seenIndexes.add(index);
    const target = str(v.target, `${where}.target`, 4096);
    const targetProblem = mountTargetProblem(target);
    if (targetProblem) throw field(`${where}.target`, l10n.t('"{0}" is not a usable mount target ({1})', target, targetProblem));
    if (seenTargets.has(target)) throw field(`${where}.target`, l10n.t('"{0}" is listed twice', target));
    seenTargets.add(target);
    const type = oneOf(v.type, `${where}.type`, ['volume', 'bind'] as const);
    const source = text(v.source, `${where}.source`, LIMITS.textChars, true);
    const readOnly = bool(v.readOnly, `${where}.readOnly`);
    const rawEntries = arr(v.entries, `${where}.entries`, LIMITS.entries);
    entryCount += rawEntries.length;
    if (entryCount > LIMITS.entries) throw field('manifest.volumes', l10n.t('declare more than {0} entries in all', LIMITS.entries));
    const entries = volumeEntries(rawEntries, index, target);
    const rawSkipped = arr(v.skipped, `${where}.skipped`, LIMITS.skipped);
    skippedCount += rawSkipped.length;
    if (skippedCount > LIMITS.skipped) throw field('manifest.volumes', l10n.t('declare more than {0} skipped entries in all', LIMITS.skipped));
    const skipped = rawSkipped.map((s, i) => skippedEntry(s, `${where}.skipped[${i}]`));
    let files = 0;
    let bytes = 0;
    for (const e of entries) {
      if (e.type === 'file') {
        files++;
        bytes += e.size;
      }
    }
    if (int(v.files, `${where}.files`, 0, LIMITS.entries) !== files) throw field(`${where}.files`, l10n.t('does not match the entries ({0})', files));
    if (int(v.bytes, `${where}.bytes`, 0, LIMITS.totalBytes) !== bytes) throw field(`${where}.bytes`, l10n.t('does not match the entries ({0})', bytes));
    volumes.push({ index, target, type, source, readOnly, files, bytes, entries, skipped });
  });

  const skippedMounts = arr(root.skippedMounts, 'manifest.skippedMounts', LIMITS.volumes).map((raw, i) => {
    const where = `manifest.skippedMounts[${i}]`;
    const m = obj(raw, where, ['target', 'type', 'source', 'reason']);
    return {
      target: text(m.target, `${where}.target`, LIMITS.textChars, false),
      type: text(m.type, `${where}.type`, 32, false),
      source: text(m.source, `${where}.source`, LIMITS.textChars, true),
      reason: oneOf(m.reason, `${where}.reason`, SKIPPED_MOUNT_REASONS),
    };
  });

  const totals = obj(root.totals, 'manifest.totals', ['files', 'bytes']);
  const files = volumes.reduce((n, v) => n + v.files, 0);
  const bytes = volumes.reduce((n, v) => n + v.bytes, 0);
  if (bytes > LIMITS.totalBytes) throw field('manifest.totals.bytes', l10n.t('{0} is above the limit of {1} bytes', bytes, LIMITS.totalBytes));
  if (int(totals.files, 'manifest.totals.files', 0, LIMITS.entries) !== files) throw field('manifest.totals.files', l10n.t('does not match the volumes ({0})', files));
  if (int(totals.bytes, 'manifest.totals.bytes', 0, LIMITS.totalBytes) !== bytes) throw field('manifest.totals.bytes', l10n.t('does not match the volumes ({0})', bytes));

  return { format: MANIFEST_FORMAT, schemaVersion: MANIFEST_SCHEMA_VERSION, id, workload, capturedAt, quiesce, label, volumes, skippedMounts, totals: { files, bytes } };
}

function volumeEntries(rawEntries: readonly unknown[], index: number, target: string): ManifestEntry[] {
  const types = new Map<string, EntryType>();
  const entries: ManifestEntry[] = [];
  rawEntries.forEach((raw, i) => {
    const where = `manifest.volumes[${index}].entries[${i}]`;
    const base = obj(raw, where, ['path', 'type', 'size', 'mode', 'uid', 'gid', 'mtime', 'sha256', 'target'], true);
    const path = str(base.path, `${where}.path`, 8192);
    const problem = relPathProblem(path);
    const named = `${index}/${path}`;
    if (problem) throw reject(l10n.t('Unsafe path "{0}" in the manifest: {1}.', path, problem), named);
    const type = oneOf(base.type, `${where}.type`, ['file', 'dir', 'symlink'] as const);
    const keys = type === 'file' ? ['sha256'] : type === 'symlink' ? ['target'] : [];
    for (const optional of ['sha256', 'target']) {
      if (!keys.includes(optional) && base[optional] !== undefined) throw reject(l10n.t('A {0} entry must not have "{1}".', type, optional), named);
      if (keys.includes(optional) && base[optional] === undefined) throw reject(l10n.t('A {0} entry needs "{1}".', type, optional), named);
    }
    if (types.has(path)) throw reject(l10n.t('"{0}" is listed twice in the manifest.', path), named);
    if (i === 0 && (path !== '.' || type !== 'dir')) throw reject(l10n.t('The first entry of a volume must be its root directory ".".'), named);
    if (path !== '.' && types.get(parentOf(path)) !== 'dir') {
      throw reject(l10n.t('"{0}" comes before (or without) its parent directory in the manifest.', path), named);
    }
    const size = int(base.size, `${where}.size`, 0, LIMITS.totalBytes);
    if (type !== 'file' && size !== 0) throw reject(l10n.t('A {0} entry must have size 0.', type), named);
    const mode = int(base.mode, `${where}.mode`, 0, 0o7777);
    const uid = int(base.uid, `${where}.uid`, 0, 0xfffffffe);
    const gid = int(base.gid, `${where}.gid`, 0, 0xfffffffe);
    const mtime = int(base.mtime, `${where}.mtime`, -(2 ** 40), 2 ** 40);
    const entry: { -readonly [K in keyof ManifestEntry]: ManifestEntry[K] } = { path, type, size, mode, uid, gid, mtime };
    if (type === 'file') {
      const sha256 = str(base.sha256, `${where}.sha256`, 64);
      if (!HEX64.test(sha256)) throw reject(l10n.t('The sha256 of "{0}" is not 64 lowercase hex digits.', path), named);
      entry.sha256 = sha256;
    }
    if (type === 'symlink') {
      const linkTarget = str(base.target, `${where}.target`, MAX_LINK_TARGET_BYTES);
      if (!linkStaysInside(target, path, linkTarget)) throw reject(l10n.t('The symlink "{0}" points outside its volume ({1}).', path, linkTarget), named);
      entry.target = linkTarget;
    }
    types.set(path, type);
    entries.push(entry);
  });
  if (entries.length === 0) throw reject(l10n.t('Volume {0} lists no entries; it needs at least its root directory.', index), `${index}/`);
  return entries;
}

function skippedEntry(raw: unknown, where: string): SkippedEntry {
  const s = obj(raw, where, ['path', 'kind', 'detail']);
  return {
    path: text(s.path, `${where}.path`, 8192, false),
    kind: oneOf(s.kind, `${where}.kind`, SKIP_KINDS),
    detail: text(s.detail, `${where}.detail`, LIMITS.textChars, true),
  };
}

function identity(raw: unknown): WorkloadIdentity {
  const w = obj(raw, 'manifest.workload', ['kind', 'key', 'label']);
  const kind = oneOf(w.kind, 'manifest.workload.kind', ['compose', 'container'] as const);
  const key = text(w.key, 'manifest.workload.key', 512, false);
  if (!key.startsWith(`${kind}:`) || key.length <= kind.length + 1) throw field('manifest.workload.key', l10n.t('must start with "{0}:" and name the workload', kind));
  const label = text(w.label, 'manifest.workload.label', 512, false);
  return { kind, key, label };
}

type Fields = Record<string, unknown>;

function obj(value: unknown, where: string, allowed: readonly string[], optionalAllowed = false): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw field(where, l10n.t('must be an object'));
  const fields = value as Fields;
  for (const key of Object.keys(fields)) {
    if (FORBIDDEN_KEYS.has(key)) throw field(where, l10n.t('holds the forbidden key "{0}"', key));
    if (!allowed.includes(key)) throw field(where, l10n.t('has the unknown field "{0}"', key));
  }
  if (!optionalAllowed) {
    for (const key of allowed) if (!Object.prototype.hasOwnProperty.call(fields, key)) throw field(where, l10n.t('lacks the field "{0}"', key));
  }
  return fields;
}

function arr(value: unknown, where: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw field(where, l10n.t('must be an array'));
  if (value.length > max) throw field(where, l10n.t('holds more than {0} items', max));
  return value;
}

function str(value: unknown, where: string, maxChars: number): string {
  if (typeof value !== 'string') throw field(where, l10n.t('must be a string'));
  if (value.length > maxChars) throw field(where, l10n.t('is longer than {0} characters', maxChars));
  if (value.includes('\0')) throw field(where, l10n.t('holds a NUL character'));
  return value;
}

function text(value: unknown, where: string, maxChars: number, allowEmpty: boolean): string {
  const s = str(value, where, maxChars);
  if (!allowEmpty && s.length === 0) throw field(where, l10n.t('must not be empty'));
  if (hasControlChars(s)) throw field(where, l10n.t('holds a control character'));
  return s;
}

function int(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw field(where, l10n.t('must be a whole number from {0} to {1}', min, max));
  }
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw field(where, l10n.t('must be true or false'));
  return value;
}

function oneOf<T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw field(where, l10n.t('must be one of: {0}', allowed.join(', ')));
  return value as T;
}

function field(where: string, problem: string): RejectedError {
  return reject(l10n.t('Invalid manifest: {0} {1}.', where, problem), 'manifest.json');
}

function reject(message: string, path: string): RejectedError {
  return new RejectedError(message, { path });
}
