// The last guard before old data is deleted. A restore removes a moved-aside directory only
// once the `pre-restore` snapshot holds it; but a capture can only hold what the engine's
// archive sends, and the engine leaves out some things without a word (sockets), and a name
// the format cannot hold is skipped. So before removing an aside, the helper lists it
// completely (every name as bytes, NUL-separated; see helper.sh) and every entry is looked
// up in the safety snapshot's manifest: same path, same type, same size, same link target, same
// device. Anything not held keeps the whole aside on the engine host; the restore reports its
// path and why, and never deletes it.
import * as l10n from '@vscode/l10n';
import type { ManifestEntry, ManifestVolume } from '../archive/manifest';
import { displayName } from '../archive/names';
import { FramedReader } from './framed';
import type { Helper } from './helper';
import { TreeListing, type ListedEntry } from './treeListing';

/** Old data kept on the engine host because the safety snapshot does not hold all of it. */
export interface KeptAside {
  readonly path: string;
  readonly reason: string;
}

const SHOWN = 5;

/** Why the aside directory is not fully held by the safety snapshot's volume (empty: it is). */
export async function asideNotHeld(helper: Helper, helperDir: string, asideName: string, volume: ManifestVolume | undefined): Promise<string[]> {
  const listing = new TreeListing();
  const reader = new FramedReader((r) => {
    if (!listing.record(r.name, r.parts[0] ?? Buffer.alloc(0))) throw new Error(`unexpected record ${r.name}`);
  });
  await helper.run(['list', helperDir, asideName], { stdout: reader.sink(), what: 'list' });
  reader.finish();
  if (!listing.complete) throw new Error('the listing ended early');
  if (!volume) return [l10n.t('the safety snapshot has no copy of this volume')];
  return notHeld(listing.entries, volume);
}

/** The listed entries a manifest volume does not hold, described for people. */
export function notHeld(listed: readonly ListedEntry[], volume: ManifestVolume): string[] {
  const byPath = new Map(volume.entries.map((e) => [e.path, e]));
  const missing: string[] = [];
  for (const l of listed) {
    const why = problemOf(l, byPath);
    if (why !== undefined) missing.push(`${displayName(l.path)} (${why})`);
  }
  if (missing.length <= SHOWN) return missing;
  return [...missing.slice(0, SHOWN), l10n.t('and {0} more', missing.length - SHOWN)];
}

function problemOf(l: ListedEntry, byPath: ReadonlyMap<string, ManifestEntry>): string | undefined {
  const declared = byPath.get(l.path);
  if (!declared) return l.type === 'socket' ? l10n.t('a socket; the engine\'s archive leaves sockets out') : l10n.t('a {0} the snapshot does not hold', l.type);
  const content = declared.type === 'hardlink' ? byPath.get(declared.target ?? '') : declared;
  if (!content || content.type !== l.type) return l10n.t('a {0}, but a {1} in the snapshot', l.type, content?.type ?? declared.type);
  if (l.type === 'file' && l.size !== content.size) return l10n.t('{0} bytes, but {1} in the snapshot', l.size, content.size);
  if (l.type === 'symlink' && l.target !== content.target) return l10n.t('a link to {0}, but to {1} in the snapshot', displayName(l.target ?? ''), displayName(content.target ?? ''));
  if ((l.type === 'chardev' || l.type === 'blockdev') && (l.devMajor !== content.devMajor || l.devMinor !== content.devMinor)) return l10n.t('another device in the snapshot');
  return undefined;
}
