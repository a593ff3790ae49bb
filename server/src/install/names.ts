import { randomBytes } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import { quoted } from '../echo';
import { RejectedError } from '../errors';

/** The longest plugin name accepted; leaves room for `.<stamp>.journal` within NAME_MAX. */
export const MAX_PLUGIN_NAME = 100;

const NAME_CHARS = /^[A-Za-z0-9._-]+$/;
const STAMP = /^(\d{8}T\d{9}Z)-(\d+)-([0-9a-f]+)$/;

/**
 * Validates a plugin name: one path segment of [A-Za-z0-9._-], at most MAX_PLUGIN_NAME
 * characters, not `.`, `..` nor a dot-name (those are Berth's: `.staging`, `.previous`). The
 * charset keeps names safe in paths, shell globs and the journal's `name <value>` line.
 */
export function validatePluginName(name: string): string {
  const shown = quoted(name);
  if (name.length === 0) throw new RejectedError(l10n.t('A plugin name must not be empty.'), { path: name });
  if (name.length > MAX_PLUGIN_NAME) {
    throw new RejectedError(l10n.t('The plugin name {0} is longer than {1} characters.', shown, MAX_PLUGIN_NAME), { path: name });
  }
  if (name.startsWith('.')) {
    throw new RejectedError(l10n.t('The plugin name {0} starts with a dot; names like ".", ".." and dot-names are reserved.', shown), { path: name });
  }
  if (!NAME_CHARS.test(name)) {
    throw new RejectedError(
      l10n.t('The plugin name {0} must be one path segment of letters, digits, ".", "_" and "-" (no "/", spaces or other characters).', shown),
      { path: name },
    );
  }
  return name;
}

export function isPluginName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_PLUGIN_NAME && !name.startsWith('.') && NAME_CHARS.test(name);
}

/**
 * A new operation stamp: UTC time to the millisecond, then this process's PID, then 48 random
 * bits. Two installs in the same millisecond differ by PID or random part; stamps sort by time
 * as plain strings, which the in-container script relies on to find the newest previous version.
 */
export function newStamp(now: Date = new Date(), pid: number = process.pid): string {
  const iso = now.toISOString(); // 2025-01-02T03:04:05.678Z
  const time = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
  return `${time}-${pid}-${randomBytes(6).toString('hex')}`;
}

export function isStamp(value: string): boolean {
  return STAMP.test(value);
}

/** Splits `<name>.<stamp>` (stamps hold no dots, names may). */
export function splitEntry(entry: string): { name: string; stamp: string } | undefined {
  const dot = entry.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = entry.slice(0, dot);
  const stamp = entry.slice(dot + 1);
  return isPluginName(name) && isStamp(stamp) ? { name, stamp } : undefined;
}

/**
 * A manifest version as recorded in the marker: kept only when it is a short token of
 * [A-Za-z0-9._+~-], because it travels through the marker's JSON and the script's arguments.
 */
export function sanitizeVersion(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  return v.length > 0 && v.length <= 64 && /^[A-Za-z0-9._+~-]+$/.test(v) ? v : undefined;
}
