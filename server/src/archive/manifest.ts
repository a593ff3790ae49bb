// The snapshot manifest: its types, its limits, the strict validator that every manifest goes
// through before anything trusts it (import, verify, restore), and its JSON form. A manifest may
// come from anywhere, so the validator checks every type, bound and cross-reference, and builds
// fresh objects from the checked fields instead of passing the parsed JSON on.
//
// Two schemas are read; Berth writes schema 2.
// - Schema 1 (the first release): regular files, directories and symlinks that stay inside
//   their volume; names are UTF-8 without control characters.
// - Schema 2: every entry a volume can hold: also hard links, FIFOs, character and block
//   devices, symlinks to anywhere (their targets are data, never followed), and names and link
//   targets that are any bytes but NUL. In JSON a name is `path` (a display string); when its
//   bytes are not UTF-8, `pathBytes` holds them in base64 and `path` is their lossy UTF-8
//   reading (likewise `target`/`targetBytes`). Inside Berth a name is the names.ts string form.
import * as l10n from '@vscode/l10n';
import type { AppliedQuiesce, WorkloadIdentity } from '../../../protocol/src';
import { RejectedError } from '../errors';
import { resolveLink, treeOfEntries } from './linkResolver';
import { displayName, hasEscapes, isCanonicalName, isUtf8, nameByteLength, nameFromBytes, nameToBytes } from './names';
import { hasControlChars, MAX_LINK_TARGET_BYTES, mountTargetProblem, parentOf, relPathProblem } from './paths';

export const MANIFEST_FORMAT = 'berth-snapshot';
/** The schema Berth writes. */
export const MANIFEST_SCHEMA_VERSION = 2;
export type SchemaVersion = 1 | 2;
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

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'chardev' | 'blockdev';
const SCHEMA_1_TYPES: readonly EntryType[] = ['file', 'dir', 'symlink'];
const SCHEMA_2_TYPES: readonly EntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'fifo', 'chardev', 'blockdev'];
/** What a hard link may link to: anything but a directory or another hard-link name. */
const LINKABLE: readonly EntryType[] = ['file', 'symlink', 'fifo', 'chardev', 'blockdev'];

export interface ManifestEntry {
  /** Volume-relative POSIX path, exact bytes in names.ts form; `.` is the volume root. */
  readonly path: string;
  readonly type: EntryType;
  /** Bytes of content (0 for everything but regular files). */
  readonly size: number;
  /** Permission bits including setuid/setgid/sticky (0..0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time in whole seconds since the epoch (kept, but not part of the ID). */
  readonly mtime: number;
  /** Regular files: SHA-256 of the content, lowercase hex. */
  readonly sha256?: string;
  /**
   * Symlinks: the link target, exactly as stored (any bytes but NUL; never followed). Hard
   * links: the path of the earlier entry this name shares its inode with.
   */
  readonly target?: string;
  /** Character and block devices. */
  readonly devMajor?: number;
  readonly devMinor?: number;
}

export type SkipKind = 'hardlink' | 'device' | 'fifo' | 'socket' | 'unsupported' | 'link-outside' | 'bad-name' | 'nested-mount';
export const SKIP_KINDS: readonly SkipKind[] = ['hardlink', 'device', 'fifo', 'socket', 'unsupported', 'link-outside', 'bad-name', 'nested-mount'];
/** Schema 2 holds hard links, devices, FIFOs and outside links; only these are ever skipped. */
const SCHEMA_2_SKIP_KINDS: readonly SkipKind[] = ['unsupported', 'bad-name', 'nested-mount'];
/** Linux device numbers: 12-bit major, 20-bit minor. */
const MAX_DEV_MAJOR = 4095;
const MAX_DEV_MINOR = 1048575;

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
  readonly schemaVersion: SchemaVersion;
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
  if (root.schemaVersion !== 1 && root.schemaVersion !== 2) {
    throw field('manifest.schemaVersion', l10n.t('must be 1 or 2 (the schemas this version of Berth reads)'));
  }
  const schema: SchemaVersion = root.schemaVersion;
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
    const entries = volumeEntries(rawEntries, index, target, schema);
    const rawSkipped = arr(v.skipped, `${where}.skipped`, LIMITS.skipped);
    skippedCount += rawSkipped.length;
    if (skippedCount > LIMITS.skipped) throw field('manifest.volumes', l10n.t('declare more than {0} skipped entries in all', LIMITS.skipped));
    const skipped = rawSkipped.map((s, i) => skippedEntry(s, `${where}.skipped[${i}]`, schema));
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

  return { format: MANIFEST_FORMAT, schemaVersion: schema, id, workload, capturedAt, quiesce, label, volumes, skippedMounts, totals: { files, bytes } };
}

function volumeEntries(rawEntries: readonly unknown[], index: number, target: string, schema: SchemaVersion): ManifestEntry[] {
  const byPath = new Map<string, ManifestEntry>();
  const entries: ManifestEntry[] = [];
  const fields = schema === 1 ? ['path', 'type', 'size', 'mode', 'uid', 'gid', 'mtime', 'sha256', 'target'] : ['path', 'pathBytes', 'type', 'size', 'mode', 'uid', 'gid', 'mtime', 'sha256', 'target', 'targetBytes', 'devMajor', 'devMinor'];
  rawEntries.forEach((raw, i) => {
    const where = `manifest.volumes[${index}].entries[${i}]`;
    const base = obj(raw, where, fields, true);
    const path = nameField(base, 'path', 'pathBytes', `${where}.path`, 8192, schema);
    const problem = relPathProblem(path, schema);
    const named = `${index}/${path}`;
    if (problem) throw reject(l10n.t('Unsafe path "{0}" in the manifest: {1}.', displayName(path), problem), named);
    const type = oneOf(base.type, `${where}.type`, schema === 1 ? SCHEMA_1_TYPES : SCHEMA_2_TYPES);
    const wanted = type === 'file' ? ['sha256'] : type === 'symlink' || type === 'hardlink' ? ['target'] : type === 'chardev' || type === 'blockdev' ? ['devMajor', 'devMinor'] : [];
    for (const optional of ['sha256', 'target', 'devMajor', 'devMinor']) {
      if (!wanted.includes(optional) && base[optional] !== undefined) throw reject(l10n.t('A {0} entry must not have "{1}".', type, optional), named);
      if (wanted.includes(optional) && base[optional] === undefined) throw reject(l10n.t('A {0} entry needs "{1}".', type, optional), named);
    }
    if (!wanted.includes('target') && base.targetBytes !== undefined) throw reject(l10n.t('A {0} entry must not have "{1}".', type, 'targetBytes'), named);
    if (byPath.has(path)) throw reject(l10n.t('"{0}" is listed twice in the manifest.', displayName(path)), named);
    if (i === 0 && (path !== '.' || type !== 'dir')) throw reject(l10n.t('The first entry of a volume must be its root directory ".".'), named);
    if (path !== '.' && byPath.get(parentOf(path))?.type !== 'dir') {
      throw reject(l10n.t('"{0}" comes before (or without) its parent directory in the manifest.', displayName(path)), named);
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
      if (!HEX64.test(sha256)) throw reject(l10n.t('The sha256 of "{0}" is not 64 lowercase hex digits.', displayName(path)), named);
      entry.sha256 = sha256;
    }
    if (type === 'symlink') {
      const linkTarget = nameField(base, 'target', 'targetBytes', `${where}.target`, MAX_LINK_TARGET_BYTES, schema);
      if (linkTarget === '' || nameByteLength(linkTarget) > MAX_LINK_TARGET_BYTES || linkTarget.includes('\0')) {
        throw reject(l10n.t('The symlink "{0}" has an unusable target.', displayName(path)), named);
      }
      entry.target = linkTarget;
    }
    if (type === 'hardlink') {
      // A second name of an earlier entry's inode: it has that entry's attributes, and the
      // restore creates it as a hard link to that very entry, never through another link.
      const linked = nameField(base, 'target', 'targetBytes', `${where}.target`, 8192, schema);
      const other = byPath.get(linked);
      if (!other || !LINKABLE.includes(other.type)) {
        throw reject(l10n.t('The hard link "{0}" must name an earlier entry of its volume that is not a directory ("{1}" is not one).', displayName(path), displayName(linked)), named);
      }
      if (other.mode !== mode || other.uid !== uid || other.gid !== gid) {
        throw reject(l10n.t('The hard link "{0}" has other attributes than "{1}", whose inode it shares.', displayName(path), displayName(linked)), named);
      }
      entry.target = linked;
    }
    if (type === 'chardev' || type === 'blockdev') {
      entry.devMajor = int(base.devMajor, `${where}.devMajor`, 0, MAX_DEV_MAJOR);
      entry.devMinor = int(base.devMinor, `${where}.devMinor`, 0, MAX_DEV_MINOR);
    }
    byPath.set(path, entry);
    entries.push(entry);
  });
  if (entries.length === 0) throw reject(l10n.t('Volume {0} lists no entries; it needs at least its root directory.', index), `${index}/`);
  if (schema === 1) {
    // Schema 1 promised that every link stays inside its volume, as the container resolves it:
    // judged through the whole tree (one shared resolver), so chains of links that each look
    // harmless, like `a/l1 -> ..` and `l2 -> a/l1/..`, are refused too.
    const tree = treeOfEntries(entries);
    for (const e of entries) {
      if (e.type !== 'symlink' || e.target === undefined) continue;
      const resolved = resolveLink(tree, e.path, e.target, { mountTarget: target });
      if (!resolved.inside) {
        const via = resolved.through.length > 0 ? ` ${l10n.t('through {0}', resolved.through.map(displayName).join(', '))}` : '';
        throw reject(l10n.t('The symlink "{0}" points outside its volume ({1}{2}).', displayName(e.path), displayName(e.target), via), `${index}/${e.path}`);
      }
    }
  }
  return entries;
}

function skippedEntry(raw: unknown, where: string, schema: SchemaVersion): SkippedEntry {
  const s = obj(raw, where, schema === 1 ? ['path', 'kind', 'detail'] : ['path', 'pathBytes', 'kind', 'detail'], schema === 2);
  const path = nameField(s, 'path', 'pathBytes', `${where}.path`, 8192, schema);
  if (schema === 1 && (path === '' || hasControlChars(path))) throw field(`${where}.path`, l10n.t('holds a control character'));
  if (path === '') throw field(`${where}.path`, l10n.t('must not be empty'));
  if (s.kind === undefined || s.detail === undefined) throw field(where, l10n.t('lacks the field "{0}"', s.kind === undefined ? 'kind' : 'detail'));
  return {
    path,
    kind: oneOf(s.kind, `${where}.kind`, schema === 1 ? SKIP_KINDS : SCHEMA_2_SKIP_KINDS),
    detail: text(s.detail, `${where}.detail`, LIMITS.textChars, true),
  };
}

/**
 * A name field: schema 1 holds UTF-8 text only. Schema 2 holds a display string and, when the
 * bytes are not UTF-8, their base64 in `<key>Bytes` (then the display string must be their
 * lossy UTF-8 reading, so one name has exactly one JSON form).
 */
function nameField(fields: Fields, key: string, bytesKey: string, where: string, maxChars: number, schema: SchemaVersion): string {
  const display = str(fields[key], where, maxChars);
  if (!isCanonicalName(display) || hasEscapes(display)) throw field(where, l10n.t('is not well-formed Unicode (bytes that are not UTF-8 go in "{0}")', bytesKey));
  const encoded = fields[bytesKey];
  if (schema === 1 || encoded === undefined) return display;
  const b64 = str(encoded, `${where}Bytes`, Math.ceil(maxChars / 3) * 4 + 4);
  const bytes = Buffer.from(b64, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || bytes.toString('base64') !== b64) throw field(`${where}Bytes`, l10n.t('is not canonical base64'));
  if (bytes.length === 0 || bytes.includes(0)) throw field(`${where}Bytes`, l10n.t('must be a non-empty name without NUL bytes'));
  if (isUtf8(bytes)) throw field(`${where}Bytes`, l10n.t('is only for names that are not UTF-8'));
  if (bytes.toString('utf8') !== display) throw field(where, l10n.t('must be the UTF-8 reading of "{0}"', bytesKey));
  return nameFromBytes(bytes);
}

/** The manifest as JSON text, in its schema's form. */
export function manifestJson(m: SnapshotManifest): string {
  if (m.schemaVersion === 1) return JSON.stringify(m);
  return JSON.stringify({
    ...m,
    volumes: m.volumes.map((v) => ({
      ...v,
      entries: v.entries.map((e) => ({
        ...nameJson('path', 'pathBytes', e.path),
        type: e.type,
        size: e.size,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        ...(e.sha256 !== undefined ? { sha256: e.sha256 } : {}),
        ...(e.target !== undefined ? nameJson('target', 'targetBytes', e.target) : {}),
        ...(e.devMajor !== undefined ? { devMajor: e.devMajor, devMinor: e.devMinor } : {}),
      })),
      skipped: v.skipped.map((s) => ({ ...nameJson('path', 'pathBytes', s.path), kind: s.kind, detail: s.detail })),
    })),
  });
}

function nameJson(key: string, bytesKey: string, name: string): Record<string, string> {
  if (!hasEscapes(name)) return { [key]: name };
  const bytes = nameToBytes(name);
  return { [key]: bytes.toString('utf8'), [bytesKey]: bytes.toString('base64') };
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
