// How a snapshot is named on the command line and in RPC params: by record ID, by label, or by
// content ID (or a prefix of 8+ hex digits). Verify, export and restore act on content: any
// reference whose matches share one content ID is fine (the content is the same). Delete and
// pin act on one record: a reference that matches several is refused, listing them, so nothing
// the user named or pinned changes or disappears by accident.
import * as l10n from '@vscode/l10n';
import { hasControlChars } from '../archive/paths';
import { echo } from '../echo';
import { InvalidParamsError, NotFoundError } from '../errors';
import type { CatalogRecord } from './catalog';

export type ResolveMode = 'record' | 'content';

export interface ResolveOptions {
  readonly mode: ResolveMode;
  /** Keeps only the records of the workload the caller named. */
  readonly workload?: (record: CatalogRecord) => boolean;
  /** Objects without a readable record, for the "adopt it" hint when nothing matches. */
  readonly orphans?: readonly string[];
}

/** The records a reference names (never empty), or a typed error. */
export function resolveRef(records: readonly CatalogRecord[], rawRef: string, options: ResolveOptions): CatalogRecord[] {
  const ref = rawRef.trim();
  if (ref === '' || ref.length > 256 || hasControlChars(ref)) {
    throw new InvalidParamsError(l10n.t('Name a snapshot by its record ID, its label or its content ID (8 to 64 hex digits), not "{0}".', echo(rawRef)));
  }
  const hex = /^[0-9a-fA-F]{8,64}$/.test(ref) ? ref.toLowerCase() : undefined;
  let matches = records.filter((r) => r.recordId === ref || r.label === ref || (hex !== undefined && r.id.startsWith(hex)));
  if (options.workload) matches = matches.filter(options.workload);
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

