// How a snapshot is named on the command line and in RPC params: by record ID, by label, or by
// content ID (or a prefix of 8+ hex digits). This is the one resolver: every command and request
// that takes a snapshot reference (verify, export, delete, pin, restore and its preview, the
// CLI's confirmation of a restore) comes through `resolveSnapshot`, so one reference names the
// same snapshot everywhere.
//
// Verify, export and restore act on content: any reference whose matches share one content ID is
// fine (the content is the same). Delete and pin act on one record: a reference that matches
// several is refused, listing them, so nothing the user named or pinned changes or disappears by
// accident. A content-ID prefix names content wherever it is asked: one that matches two
// contents is refused for every command, whichever workload it is asked for. `--workload` keeps
// only that workload's records; the workload a restore writes to makes a label it shares with
// other workloads' snapshots name its own.
import * as l10n from '@vscode/l10n';
import type { SnapshotRef } from '../../../protocol/src';
import { hasControlChars } from '../archive/paths';
import { echo } from '../echo';
import { InvalidParamsError, NotFoundError } from '../errors';
import type { CatalogRecord } from './catalog';
import { loadCatalog } from './migration';
import type { SnapshotStore } from './store';

export type ResolveMode = 'record' | 'content';

interface ResolveOptions {
  readonly mode: ResolveMode;
  /** `--workload`: only this workload's records (identity key, container name, or display label). */
  readonly only?: string;
  /**
   * The identity key of the workload a restore writes to: among several snapshots sharing the
   * label, its own. Unlike `only`, it excludes nothing (any workload's snapshot may be restored)
   * and never picks among content IDs.
   */
  readonly target?: string;
  /** Objects without a readable record, for the "adopt it" hint when nothing matches. */
  readonly orphans?: readonly string[];
}

/**
 * The records `ref` names in the store's catalog (never empty; newest first), the catalog
 * migrated first if need be; or a typed error (see the rules above). `restoreTarget` is the
 * identity key of the workload a restore or its preview writes to (see ResolveOptions.target).
 */
export async function resolveSnapshot(store: SnapshotStore, ref: SnapshotRef, mode: ResolveMode, restoreTarget?: string): Promise<CatalogRecord[]> {
  const catalog = await loadCatalog(store);
  const referenced = new Set(catalog.records.map((r) => r.id));
  const orphans = (await store.objectIds()).filter((id) => !referenced.has(id));
  return resolveRef(catalog.records, ref.id, {
    mode,
    orphans,
    ...(ref.workload !== undefined ? { only: ref.workload } : {}),
    ...(restoreTarget !== undefined ? { target: restoreTarget } : {}),
  });
}

/** The records a reference names (never empty), or a typed error. */
function resolveRef(records: readonly CatalogRecord[], rawRef: string, options: ResolveOptions): CatalogRecord[] {
  const ref = rawRef.trim();
  if (ref === '' || ref.length > 256 || hasControlChars(ref)) {
    throw new InvalidParamsError(l10n.t('Name a snapshot by its record ID, its label or its content ID (8 to 64 hex digits), not "{0}".', echo(rawRef)));
  }
  const hex = /^[0-9a-fA-F]{8,64}$/.test(ref) ? ref.toLowerCase() : undefined;
  const only = options.only;
  let matches = records.filter((r) => r.recordId === ref || r.label === ref || (hex !== undefined && r.id.startsWith(hex)));
  if (only !== undefined) matches = matches.filter((r) => r.workload.key === only || r.workload.key === `container:${only}` || r.workload.label === only);
  // A label the target workload uses names its own snapshot, even when other workloads use it too.
  const own = matches.filter((r) => r.label === ref && r.workload.key === options.target);
  if (own.length > 0 && new Set(matches.map((r) => r.id)).size > 1) matches = own;
  if (matches.length === 0) {
    const orphan = hex !== undefined ? options.orphans?.find((id) => id.startsWith(hex)) : undefined;
    if (orphan) {
      throw new NotFoundError(l10n.t('Snapshot {0} has no readable catalog record (it is orphaned; its data is kept). Run "berth snapshots adopt {0}" to make a record for it from its own manifest.', orphan.slice(0, 12)));
    }
    throw new NotFoundError(l10n.t('No snapshot {0}. Run "berth snapshots list" to see them.', echo(ref)));
  }
  const contents = new Set(matches.map((r) => r.id));
  if (options.mode === 'record' && matches.length > 1) {
    throw new InvalidParamsError(
      l10n.t('"{0}" matches {1} snapshot records; name one by its record ID (or add --workload):\n{2}', echo(ref), matches.length, listing(matches)),
    );
  }
  if (options.mode === 'content' && contents.size > 1) {
    throw new InvalidParamsError(l10n.t('"{0}" matches {1} different snapshots; name one by its record ID or more of its content ID:\n{2}', echo(ref), contents.size, listing(matches)));
  }
  return newestFirst(matches);
}

export function newestFirst(records: readonly CatalogRecord[]): CatalogRecord[] {
  return [...records].sort((a, b) => (a.capturedAt === b.capturedAt ? (a.recordId < b.recordId ? 1 : -1) : a.capturedAt < b.capturedAt ? 1 : -1));
}

function listing(records: readonly CatalogRecord[]): string {
  const shown = newestFirst(records).slice(0, 20);
  const lines = shown.map((r) => `  ${r.recordId}  ${r.id.slice(0, 12)}  ${r.workload.key}  ${r.capturedAt}${r.label ? `  "${r.label}"` : ''}${r.pinned ? ' [pinned]' : ''}`);
  if (records.length > shown.length) lines.push(l10n.t('  … and {0} more', records.length - shown.length));
  return lines.join('\n');
}

