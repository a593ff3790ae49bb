import type { PluginInfo, PluginLeftover, PluginVersion } from '../../../protocol/src';
import type { ArchiveEntryInfo } from '../archive/pluginTar';
import { isPluginName, isStamp, sanitizeVersion, splitEntry } from './names';
import type { ScriptEvent } from './script';
import type { PluginSourceRecord } from './sources';

/** A plugin root as read from the container, before it is judged. */
export interface RawListing {
  readonly rootExists: boolean;
  readonly live: readonly { readonly name: string; readonly complete: boolean; readonly marker?: string }[];
  readonly previous: readonly { readonly name: string; readonly stamp: string; readonly complete: boolean; readonly marker?: string }[];
  /** Names of `.staging` entries; undefined for names that are not printable. */
  readonly staging: readonly (string | undefined)[];
  /** `.previous` entries that are not `<name>.<stamp>`. */
  readonly junkPrevious: number;
}

export function listingFromEvents(events: readonly ScriptEvent[]): RawListing {
  const live: RawListing['live'][number][] = [];
  const previous: RawListing['previous'][number][] = [];
  const staging: (string | undefined)[] = [];
  let rootExists = false;
  let junkPrevious = 0;
  for (const e of events) {
    if (e.kind === 'root') rootExists = e.present;
    else if (e.kind === 'live' && isPluginName(e.name)) live.push({ name: e.name, complete: e.complete, ...(e.marker ? { marker: e.marker } : {}) });
    else if (e.kind === 'prev' && isPluginName(e.name) && isStamp(e.stamp)) {
      previous.push({ name: e.name, stamp: e.stamp, complete: e.complete, ...(e.marker ? { marker: e.marker } : {}) });
    } else if (e.kind === 'staging') staging.push(/^[A-Za-z0-9._-]+$/.test(e.entry) ? e.entry : undefined);
    else if (e.kind === 'junk') {
      if (e.where === 'previous') junkPrevious++;
      else staging.push(undefined);
    }
  }
  return { rootExists, live, previous, staging, junkPrevious };
}

/** Entries of the root's archive whose content the listing needs: the `.complete` markers. */
export function wantsMarker(path: string): boolean {
  return /^[^/]+\/[^/]+\/\.complete$/.test(path) || /^[^/]+\/\.previous\/[^/]+\/\.complete$/.test(path);
}

/** The same listing from the engine's archive of the root (containers without a shell). */
export function listingFromArchive(entries: readonly ArchiveEntryInfo[]): RawListing {
  const markers = new Map<string, string>();
  for (const e of entries) if (e.content !== undefined) markers.set(e.path.slice(e.path.indexOf('/') + 1), firstLine(e.content));
  const live: RawListing['live'][number][] = [];
  const previous: RawListing['previous'][number][] = [];
  const staging: (string | undefined)[] = [];
  let junkPrevious = 0;
  let rootExists = false;
  for (const e of entries) {
    const parts = e.path.split('/');
    if (parts.length === 1) {
      rootExists ||= e.type === 'dir';
      continue;
    }
    const rel = parts.slice(1);
    if (rel.length === 1 && e.type === 'dir' && isPluginName(rel[0] as string)) {
      const name = rel[0] as string;
      const marker = markers.get(`${name}/.complete`);
      live.push({ name, complete: marker !== undefined, ...(marker ? { marker } : {}) });
    } else if (rel.length === 2 && rel[0] === '.previous') {
      const split = splitEntry(rel[1] as string);
      if (!split) junkPrevious++;
      else {
        const marker = markers.get(`.previous/${rel[1] as string}/.complete`);
        previous.push({ ...split, complete: marker !== undefined, ...(marker ? { marker } : {}) });
      }
    } else if (rel.length === 2 && rel[0] === '.staging') {
      const entry = rel[1] as string;
      staging.push(/^[A-Za-z0-9._-]+$/.test(entry) ? entry : undefined);
    }
  }
  return { rootExists, live, previous, staging, junkPrevious };
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline < 0 ? text : text.slice(0, newline);
}

/** Reads the one-line JSON marker defensively: only well-formed fields are believed. */
export function parseMarker(text: string | undefined): PluginVersion {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as { stamp?: unknown; version?: unknown };
    const stamp = typeof v.stamp === 'string' && isStamp(v.stamp) ? v.stamp : undefined;
    const version = sanitizeVersion(v.version);
    return { ...(stamp ? { stamp } : {}), ...(version ? { version } : {}) };
  } catch {
    return {};
  }
}

/**
 * Judges a listing the way the sweep does (plugin.sh `sweep`): every `.staging` entry is a
 * leftover; in `.previous`, the newest version of each live plugin is kept for roll-back and
 * everything else (older versions, orphans of absent plugins, junk) is a leftover.
 */
export function classify(raw: RawListing, root: string, sources: Readonly<Record<string, PluginSourceRecord>>): { plugins: PluginInfo[]; leftovers: PluginLeftover[] } {
  const liveNames = new Set(raw.live.map((l) => l.name));
  const newest = new Map<string, RawListing['previous'][number]>();
  for (const p of raw.previous) {
    const best = newest.get(p.name);
    if (!best || p.stamp > best.stamp) newest.set(p.name, p);
  }
  const leftovers: PluginLeftover[] = [];
  for (const p of raw.previous) {
    if (liveNames.has(p.name) && newest.get(p.name) === p) continue;
    leftovers.push({ kind: 'previous', path: `${root}/.previous/${p.name}.${p.stamp}`, name: p.name, stamp: p.stamp });
  }
  for (let i = 0; i < raw.junkPrevious; i++) leftovers.push({ kind: 'other' });
  for (const entry of raw.staging) {
    if (entry === undefined) {
      leftovers.push({ kind: 'other' });
      continue;
    }
    const journal = /\.journal(\.tmp)?$/.test(entry);
    const base = entry.replace(/\.journal\.tmp$|\.journal$|\.removed$/, '');
    const split = splitEntry(base);
    leftovers.push({
      kind: journal ? 'journal' : split ? 'staging' : 'other',
      path: `${root}/.staging/${entry}`,
      ...(split ? { name: split.name, stamp: split.stamp } : {}),
    });
  }
  const plugins: PluginInfo[] = raw.live
    .map((l) => {
      const prev = newest.get(l.name);
      const source = sources[l.name]?.folder;
      return {
        name: l.name,
        state: l.complete ? 'complete' : 'incomplete',
        path: `${root}/${l.name}`,
        ...(l.complete ? parseMarker(l.marker) : {}),
        ...(prev ? { previous: { setAside: prev.stamp, complete: prev.complete, ...(prev.complete ? parseMarker(prev.marker) : {}) } } : {}),
        ...(source ? { source } : {}),
      } satisfies PluginInfo;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { plugins, leftovers };
}
