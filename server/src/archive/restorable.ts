// What a restore refuses about a snapshot itself (its targets and the engine can still refuse
// for their own reasons: preflight, space). Verify and import apply the same rules, so "verified"
// means "restorable": a snapshot that passes them restores, one that does not is refused by all
// three with the same words.
import * as l10n from '@vscode/l10n';
import { resolvePath, treeOfEntries } from './linkResolver';
import type { SnapshotManifest } from './manifest';
import { displayName, nameByteLength } from './names';
import { MAX_ENTRY_PATH_BYTES, parentOf } from './paths';

export interface RestoreProblem {
  readonly message: string;
  /** `<index>/<path>` of the entry. */
  readonly path: string;
}

/** The first reason a restore would refuse this snapshot, or undefined when it would not. */
export function restoreProblem(manifest: SnapshotManifest): RestoreProblem | undefined {
  for (const v of manifest.volumes) {
    const tree = treeOfEntries(v.entries);
    const plain = new Set<string>(['.']);
    for (const e of v.entries) {
      const path = `${v.index}/${e.path}`;
      if (nameByteLength(e.path) > MAX_ENTRY_PATH_BYTES) {
        return { path, message: l10n.t('"{0}" has a path longer than the {1} bytes a restore can create.', displayName(path), MAX_ENTRY_PATH_BYTES) };
      }
      if ((e.type === 'chardev' || e.type === 'blockdev') && v.type === 'bind') {
        // A device node in a host directory would give every local user who can reach that
        // directory the device itself; the container could make it, but a restore (possibly of
        // an imported file) never does.
        return { path, message: l10n.t('"{0}" is a device node in the bind mount {1}; Berth does not create device nodes in host directories.', displayName(path), v.target) };
      }
      // Every place the restore writes (an entry, and the entry a hard link names) is reached
      // through directories only, never through a link: judged by the shared resolver.
      const dirs = e.type === 'hardlink' && e.target !== undefined ? [parentOf(e.path), parentOf(e.target)] : [parentOf(e.path)];
      for (const dir of dirs) {
        if (plain.has(dir)) continue;
        const resolved = resolvePath(tree, dir);
        if (!resolved.inside || resolved.through.length > 0 || resolved.path !== dir) {
          return { path, message: l10n.t('"{0}" would be written through the link {1}.', displayName(path), displayName(resolved.through[0] ?? dir)) };
        }
        plain.add(dir);
      }
    }
  }
  return undefined;
}
