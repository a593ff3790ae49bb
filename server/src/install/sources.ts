import { createHash } from 'node:crypto';
import { access, mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../state/atomicFile';
import { isPluginName } from './names';

/**
 * Which local folder each plugin of a workload was last installed from, so "Reinstall" works
 * for plugins installed by the extension or the CLI alike. One small file per workload identity
 * under <stateDir>/plugins/, written atomically while the workload's lock is held. The file's
 * existence also says "Berth has operated on this workload's plugins", which bounds the
 * backend's start-up sweep. The container stays the source of truth for what is installed.
 */
export interface PluginSourceRecord {
  readonly folder: string;
}

interface SourcesFile {
  readonly version: 1;
  readonly identity: string;
  readonly sources: Readonly<Record<string, PluginSourceRecord>>;
}

function fileOf(stateDir: string, identityKey: string): string {
  const digest = createHash('sha256').update(identityKey).digest('hex').slice(0, 32);
  return join(stateDir, 'plugins', `sources-${digest}.json`);
}

function validate(value: unknown): SourcesFile | undefined {
  const v = value as Partial<SourcesFile> | null;
  if (!v || v.version !== 1 || typeof v.identity !== 'string' || typeof v.sources !== 'object' || v.sources === null) return undefined;
  const sources: Record<string, PluginSourceRecord> = {};
  for (const [name, r] of Object.entries(v.sources)) {
    const rec = r as Partial<PluginSourceRecord> | null;
    if (isPluginName(name) && rec && typeof rec.folder === 'string') sources[name] = { folder: rec.folder };
  }
  return { version: 1, identity: v.identity, sources };
}

export async function readSources(stateDir: string, identityKey: string, onCorrupt?: (why: string) => void): Promise<Readonly<Record<string, PluginSourceRecord>>> {
  const file = await readJsonFile(fileOf(stateDir, identityKey), validate, onCorrupt);
  return file && file.identity === identityKey ? file.sources : {};
}

/**
 * Records (or with `folder` undefined, forgets) a plugin's source. Call with the workload's lock
 * held. Writes (two fsyncs) only when the record changes, so reinstalls from the same folder
 * cost one small read. A file that cannot be read is not overwritten (that would forget every
 * other plugin's source without a word): it is renamed aside as `<file>.corrupt-<time>` and
 * reported through `onCorrupt`, then a new file is written.
 */
export async function recordSource(stateDir: string, identityKey: string, name: string, folder: string | undefined, onCorrupt: (why: string) => void = () => undefined): Promise<void> {
  const path = fileOf(stateDir, identityKey);
  let damaged: string | undefined;
  const current = await readSources(stateDir, identityKey, (why) => (damaged = why));
  if (damaged !== undefined) {
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    await rename(path, aside);
    await fsyncDir(dirname(path));
    onCorrupt(l10n.t('The record of plugin sources {0} could not be read ({1}); it was kept as {2}, and a new one was started.', path, damaged, aside));
  } else if (current[name]?.folder === folder) return;
  const sources: Record<string, PluginSourceRecord> = { ...current };
  if (folder === undefined) delete sources[name];
  else sources[name] = { folder };
  await mkdir(join(stateDir, 'plugins'), { recursive: true });
  await writeJsonAtomic(fileOf(stateDir, identityKey), { version: 1, identity: identityKey, sources } satisfies SourcesFile);
}

/**
 * Records that Berth operates on this workload's plugins (before the first mutating step, so a
 * crash during a first install is still swept at the next backend start). Costs one access(2)
 * once the record exists.
 */
export async function rememberWorkload(stateDir: string, identityKey: string): Promise<void> {
  const file = fileOf(stateDir, identityKey);
  try {
    await access(file);
    return;
  } catch {
    // Not recorded yet.
  }
  await mkdir(join(stateDir, 'plugins'), { recursive: true });
  await writeJsonAtomic(file, { version: 1, identity: identityKey, sources: {} } satisfies SourcesFile);
}

/** The identities of every workload recorded by `rememberWorkload` or `recordSource`. */
export async function knownWorkloads(stateDir: string): Promise<Set<string>> {
  let names: string[];
  try {
    names = await readdir(join(stateDir, 'plugins'));
  } catch {
    return new Set();
  }
  const known = new Set<string>();
  for (const name of names) {
    if (!/^sources-[0-9a-f]{32}\.json$/.test(name)) continue;
    const file = await readJsonFile(join(stateDir, 'plugins', name), validate);
    if (file) known.add(file.identity);
  }
  return known;
}
