import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { RejectedError } from '../errors';
import { isolatedGitEnv, runLocal } from './localProcess';

/**
 * Builds a git dir that Berth wrote itself from a git dir that came out of a container.
 *
 * Git on this machine must never read configuration that came from a container: a repo's config
 * (and config.worktree, include.path, includeIf), its hooks, info/attributes, a submodule's
 * config under modules/, commondir and gitdir files, and alternates can all make git run a
 * command or read a path on this machine. So the hostile git dir is never handed to git. Berth
 * creates an empty git dir (what `git init --template=` would make, but with a config Berth
 * writes) and copies into it only data git cannot execute:
 *
 * - refs: HEAD, refs/ and packed-refs, each name and value validated (object ID or a symbolic
 *   `ref: refs/…`); reflogs (logs/) so `--base main@{1}` works as in the container; the
 *   pseudo-refs ORIG_HEAD, MERGE_HEAD, CHERRY_PICK_HEAD, REVERT_HEAD; `shallow`; berth-base;
 * - objects: loose objects and packs (`.pack`, `.idx`, `.rev`) by exact name, hard-linked
 *   (the copy is Berth's own temp folder); objects/info/alternates is never copied, because it
 *   is a path that could point anywhere on this machine;
 * - the index (and a split index's sharedindex.<id>), and info/exclude (ignore patterns: they
 *   decide which untracked files the patch holds, as they do in the container).
 *
 * From the container's config only the repository's format is carried, as validated literal
 * values written by Berth: the object format (sha1/sha256) and the booleans/enums that change how
 * file content and modes are read (core.filemode, symlinks, ignorecase, precomposeunicode,
 * autocrlf, eol), so both export paths give the same patch. Never a string git would run or open.
 */
export interface FreshGitDirResult {
  /** The source had objects/info/alternates (dropped): objects may be missing. */
  readonly droppedAlternates: readonly string[];
  /** Refs whose name or value Berth could not read safely (skipped). */
  readonly skippedRefs: readonly string[];
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const LOOSE_DIR = /^[0-9a-f]{2}$/;
const LOOSE_FILE = /^(?:[0-9a-f]{38}|[0-9a-f]{62})$/;
const PACK_FILE = /^pack-(?:[0-9a-f]{40}|[0-9a-f]{64})\.(?:pack|idx|rev)$/;
const SHARED_INDEX = /^sharedindex\.(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const PSEUDO_REFS = ['ORIG_HEAD', 'MERGE_HEAD', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'];
/** Refs and small files are read whole; anything larger than this is not a ref. */
const MAX_REF_FILE = 4096;
const MAX_PACKED_REFS = 256 * 1024 * 1024;
const BOOL = new Map([['true', true], ['yes', true], ['on', true], ['1', true], ['false', false], ['no', false], ['off', false], ['0', false], ['', true]]);
const FORMAT_BOOLEANS = ['filemode', 'symlinks', 'ignorecase', 'precomposeunicode'];

/** Whether `name` is a full ref name git would accept (git check-ref-format's rules). */
export function isSafeRefName(name: string): boolean {
  if (!name.startsWith('refs/') || name.endsWith('/') || name.endsWith('.') || name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** A ref file's value: an object ID, or `ref: <full ref name>`; undefined when it is neither. */
export function refValue(text: string): string | undefined {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (OBJECT_ID.test(line)) return line;
  if (line.startsWith('ref: ') && isSafeRefName(line.slice(5))) return line;
  return undefined;
}

/**
 * Validates a packed-refs file line by line: the `# pack-refs with:` header, `<id> <ref>` and
 * `^<id>` (a peeled tag). Anything else refuses the repo (git itself would stop on it).
 */
export function validPackedRefs(text: string): boolean {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.every((line, i) => {
    if (i === 0 && line.startsWith('# pack-refs with:')) return true;
    if (line.startsWith('^')) return OBJECT_ID.test(line.slice(1));
    const space = line.indexOf(' ');
    return space > 0 && OBJECT_ID.test(line.slice(0, space)) && isSafeRefName(line.slice(space + 1));
  });
}

/** The format keys Berth carries over from the container's config, already validated. */
export interface RepoFormat {
  readonly objectFormat: 'sha1' | 'sha256';
  readonly booleans: ReadonlyMap<string, boolean>;
  readonly autocrlf?: 'true' | 'false' | 'input';
  readonly eol?: 'lf' | 'crlf' | 'native';
}

/** Berth's own config for a fresh git dir: format keys, and every command-running key pinned off. */
export function renderBerthConfig(format: RepoFormat): string {
  const sha256 = format.objectFormat === 'sha256';
  const core = [
    `repositoryformatversion = ${sha256 ? 1 : 0}`,
    'bare = false',
    ...FORMAT_BOOLEANS.map((key) => `${key} = ${format.booleans.get(key) ?? (key === 'filemode' || key === 'symlinks')}`),
    ...(format.autocrlf ? [`autocrlf = ${format.autocrlf}`] : []),
    ...(format.eol ? [`eol = ${format.eol}`] : []),
    'logallrefupdates = false',
    // Nothing git could run or open: no fsmonitor, no hooks, no attributes or excludes file
    // outside the repo, no pager, editor, ssh or password prompt.
    'fsmonitor = false',
    'hooksPath = /dev/null',
    'attributesFile = /dev/null',
    'excludesFile = /dev/null',
    'untrackedCache = false',
    'splitIndex = false',
    'pager = cat',
    'editor = false',
    'sshCommand = false',
    'askPass = false',
  ];
  return [
    `[core]\n${core.map((l) => `\t${l}\n`).join('')}`,
    ...(sha256 ? ['[extensions]\n\tobjectFormat = sha256\n'] : []),
    '[protocol]\n\tallow = never\n',
    '[gc]\n\tauto = 0\n',
    '[maintenance]\n\tauto = false\n',
    '[submodule]\n\trecurse = false\n',
  ].join('');
}

/** Reads the format keys of a container's config with `git config --file` (no includes). */
export async function readRepoFormat(configPath: string, home: string, ceiling: string): Promise<RepoFormat> {
  const info = await lstat(configPath).catch(() => undefined);
  const booleans = new Map<string, boolean>();
  if (!info) return { objectFormat: 'sha1', booleans };
  if (!info.isFile()) throw new RejectedError(l10n.t('The repo\'s git config ({0}) is not a regular file; Berth does not read such a repo on this machine.', configPath), { path: configPath });
  // `--file` reads exactly that file: include.path and includeIf are not followed. It runs in an
  // empty folder below a ceiling, so git finds no repo whose config it could read on the way.
  const listed = await runLocal('git', ['config', '--file', configPath, '--list', '-z'], { cwd: home, env: isolatedGitEnv(home, process.env, ceiling) });
  if (listed.exitCode !== 0) throw new RejectedError(l10n.t('The repo\'s git config cannot be read: {0}', listed.stderr.trim().slice(0, 500)), { path: configPath });
  let objectFormat: 'sha1' | 'sha256' = 'sha1';
  let autocrlf: RepoFormat['autocrlf'];
  let eol: RepoFormat['eol'];
  for (const entry of listed.stdout.toString('utf8').split('\0')) {
    if (!entry) continue;
    const newline = entry.indexOf('\n');
    const key = (newline < 0 ? entry : entry.slice(0, newline)).toLowerCase();
    const value = (newline < 0 ? '' : entry.slice(newline + 1)).toLowerCase();
    if (key === 'extensions.objectformat') {
      if (value !== 'sha1' && value !== 'sha256') throw new RejectedError(l10n.t('The repo uses the object format "{0}", which Berth does not know.', value.slice(0, 40)));
      objectFormat = value;
    } else if (key.startsWith('core.') && FORMAT_BOOLEANS.includes(key.slice(5))) {
      const parsed = BOOL.get(value);
      if (parsed !== undefined) booleans.set(key.slice(5), parsed);
    } else if (key === 'core.autocrlf') {
      const parsed = BOOL.get(value);
      autocrlf = value === 'input' ? 'input' : parsed === undefined ? autocrlf : parsed ? 'true' : 'false';
    } else if (key === 'core.eol' && (value === 'lf' || value === 'crlf' || value === 'native')) {
      eol = value;
    }
  }
  return { objectFormat, booleans, ...(autocrlf ? { autocrlf } : {}), ...(eol ? { eol } : {}) };
}

/**
 * Copies the data of the hostile git dir `source` into a new git dir `dest` that Berth creates.
 * `source` has been checked: a real folder, no symbolic links inside, no commondir.
 */
export async function buildFreshGitDir(source: string, dest: string, home: string, ceiling: string): Promise<FreshGitDirResult> {
  const format = await readRepoFormat(join(source, 'config'), home, ceiling);
  const skippedRefs: string[] = [];
  const droppedAlternates: string[] = [];
  for (const dir of ['', 'objects', 'objects/pack', 'objects/info', 'refs', 'refs/heads', 'refs/tags', 'info']) await mkdir(join(dest, dir), { recursive: true, mode: 0o700 });
  await writeFile(join(dest, 'config'), renderBerthConfig(format), { mode: 0o600 });

  const head = await readSmall(join(source, 'HEAD'));
  const headValue = head === undefined ? undefined : refValue(head);
  if (headValue === undefined) throw new RejectedError(l10n.t('The repo\'s HEAD is missing or not a branch or commit that Berth can read safely.'));
  await writeFile(join(dest, 'HEAD'), `${headValue}\n`);

  await copyRefs(join(source, 'refs'), join(dest, 'refs'), 'refs', skippedRefs);
  const packed = join(source, 'packed-refs');
  if (await isRegular(packed)) {
    const size = (await lstat(packed)).size;
    const text = size <= MAX_PACKED_REFS ? await readFile(packed, 'latin1') : '';
    if (!validPackedRefs(text) || size > MAX_PACKED_REFS) throw new RejectedError(l10n.t('The repo\'s packed-refs holds a line that is not a ref; Berth does not read such a repo on this machine.'), { path: 'packed-refs' });
    await writeFile(join(dest, 'packed-refs'), text, 'latin1');
  }
  for (const name of PSEUDO_REFS) {
    const text = await readSmall(join(source, name));
    const value = text === undefined ? undefined : refValue(text);
    if (value && OBJECT_ID.test(value)) await writeFile(join(dest, name), `${value}\n`);
  }
  const base = await readSmall(join(source, 'berth-base'));
  if (base !== undefined && OBJECT_ID.test(base.trim())) await writeFile(join(dest, 'berth-base'), `${base.trim()}\n`);
  const shallow = await readSmall(join(source, 'shallow'), 64 * 1024 * 1024);
  if (shallow !== undefined && shallow.split('\n').every((line, i, all) => OBJECT_ID.test(line) || (line === '' && i === all.length - 1))) {
    await writeFile(join(dest, 'shallow'), shallow);
  }
  await copyLogs(source, dest);

  const index = join(source, 'index');
  if (await isRegular(index)) {
    await copyFile(index, join(dest, 'index'), constants.COPYFILE_EXCL);
    // git judges "racily clean" entries by the index file's mtime: keep it.
    const { atime, mtime } = await lstat(index);
    await utimes(join(dest, 'index'), atime, mtime);
  }
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (entry.isFile() && SHARED_INDEX.test(entry.name)) await copyFile(join(source, entry.name), join(dest, entry.name), constants.COPYFILE_EXCL);
  }
  const exclude = join(source, 'info', 'exclude');
  if (await isRegular(exclude)) await copyFile(exclude, join(dest, 'info', 'exclude'), constants.COPYFILE_EXCL);

  await linkObjects(join(source, 'objects'), join(dest, 'objects'), droppedAlternates);
  return { droppedAlternates, skippedRefs };
}

async function copyRefs(from: string, to: string, name: string, skipped: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const refName = `${name}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!isSafeRefName(`${refName}/x`)) {
        skipped.push(refName);
        continue;
      }
      await mkdir(join(to, entry.name), { recursive: true, mode: 0o700 });
      await copyRefs(join(from, entry.name), join(to, entry.name), refName, skipped);
    } else if (entry.isFile()) {
      // git's own lock files of a ref update in progress are not refs.
      if (entry.name.endsWith('.lock')) continue;
      const text = await readSmall(join(from, entry.name));
      const value = text === undefined ? undefined : refValue(text);
      if (!isSafeRefName(refName) || value === undefined) {
        skipped.push(refName);
        continue;
      }
      await writeFile(join(to, entry.name), `${value}\n`);
    } else {
      skipped.push(refName);
    }
  }
}

/** Reflogs: logs/HEAD and logs/refs/…, plain data lines that git parses and never runs. */
async function copyLogs(source: string, dest: string): Promise<void> {
  const copyTree = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(source, rel), { withFileTypes: true });
    } catch {
      return;
    }
    await mkdir(join(dest, rel), { recursive: true, mode: 0o700 });
    for (const entry of entries) {
      const child = `${rel}/${entry.name}`;
      if (!isSafeRefName(child.slice('logs/'.length))) continue;
      if (entry.isDirectory()) await copyTree(child);
      else if (entry.isFile()) await copyFile(join(source, child), join(dest, child), constants.COPYFILE_EXCL);
    }
  };
  if (await isRegular(join(source, 'logs', 'HEAD'))) {
    await mkdir(join(dest, 'logs'), { recursive: true, mode: 0o700 });
    await copyFile(join(source, 'logs', 'HEAD'), join(dest, 'logs', 'HEAD'), constants.COPYFILE_EXCL);
  }
  await copyTree('logs/refs');
}

/** Loose objects and packs by exact name, hard-linked; alternates are reported and dropped. */
async function linkObjects(from: string, to: string, droppedAlternates: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && LOOSE_DIR.test(entry.name)) {
      await mkdir(join(to, entry.name), { recursive: true, mode: 0o700 });
      for (const object of await readdir(join(from, entry.name), { withFileTypes: true })) {
        if (object.isFile() && LOOSE_FILE.test(object.name)) await linkOrCopy(join(from, entry.name, object.name), join(to, entry.name, object.name));
      }
    } else if (entry.isDirectory() && entry.name === 'pack') {
      for (const pack of await readdir(join(from, 'pack'), { withFileTypes: true })) {
        if (pack.isFile() && PACK_FILE.test(pack.name)) await linkOrCopy(join(from, 'pack', pack.name), join(to, 'pack', pack.name));
      }
    } else if (entry.isDirectory() && entry.name === 'info') {
      for (const name of ['alternates', 'http-alternates']) {
        if (await lstat(join(from, 'info', name)).catch(() => undefined)) droppedAlternates.push(`objects/info/${name}`);
      }
    }
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to, constants.COPYFILE_EXCL);
  }
}

async function isRegular(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isFile() === true;
}

/** A small regular file's text, or undefined when it is absent, not regular or too large. */
async function readSmall(path: string, limit = MAX_REF_FILE): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > limit) return undefined;
    return (await handle.readFile()).toString('latin1');
  } finally {
    await handle.close();
  }
}
