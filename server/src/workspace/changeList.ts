import type { WorkspaceChangedFile, WorkspaceChangeStatus } from '../../../protocol/src';

const STATUS: Readonly<Record<string, WorkspaceChangeStatus>> = { A: 'added', M: 'modified', D: 'deleted', T: 'typeChanged' };
const MODE = /^[0-7]{6}$/;
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** With --no-renames: added, deleted, modified, type change, unmerged, unknown. */
const STATUS_LETTER = /^[ADMTUX]$/;
const COUNT = /^(?:\d{1,15}|-)$/;

/**
 * Parses `git diff --raw --numstat -z --no-renames` output: first one raw record per file
 * (`:oldmode newmode oldid newid status` NUL path NUL), then one numstat record per file
 * (`added TAB deleted TAB path` NUL; `-` counts mean binary). Paths are raw bytes; they become
 * UTF-8 strings for the protocol.
 */
export function parseChangeList(list: Buffer): WorkspaceChangedFile[] {
  const tokens = splitNul(list);
  const files: { path: string; raw: string[] }[] = [];
  let i = 0;
  while (i < tokens.length && tokens[i]?.startsWith(':')) {
    const raw = (tokens[i] ?? '').slice(1).split(' ');
    const path = tokens[i + 1];
    // The list may come from a container's output: every field is checked before anything uses
    // it (object IDs become file names on this machine, modes decide how a file is shown).
    const [oldMode = '', newMode = '', oldBlob = '', newBlob = '', letter = ''] = raw;
    if (raw.length !== 5 || path === undefined || path === '' || !MODE.test(oldMode) || !MODE.test(newMode) || !OBJECT_ID.test(oldBlob) || !OBJECT_ID.test(newBlob) || !STATUS_LETTER.test(letter)) {
      throw new Error(`unexpected raw diff record "${(tokens[i] ?? '').slice(0, 200)}"`);
    }
    files.push({ path, raw });
    i += 2;
  }
  const counts = new Map<string, { additions?: number; deletions?: number; binary: boolean }>();
  for (; i < tokens.length; i++) {
    const record = tokens[i] ?? '';
    const first = record.indexOf('\t');
    const second = record.indexOf('\t', first + 1);
    if (first < 0 || second < 0) throw new Error(`unexpected numstat record "${record.slice(0, 200)}"`);
    const added = record.slice(0, first);
    const deleted = record.slice(first + 1, second);
    if (!COUNT.test(added) || !COUNT.test(deleted) || (added === '-') !== (deleted === '-')) throw new Error(`unexpected numstat record "${record.slice(0, 200)}"`);
    const path = record.slice(second + 1);
    if (added === '-' && deleted === '-') counts.set(path, { binary: true });
    else counts.set(path, { binary: false, additions: Number(added), deletions: Number(deleted) });
  }
  return files.map(({ path, raw }) => {
    const [oldMode = '', newMode = '', oldBlob = '', newBlob = '', letter = ''] = raw;
    const count = counts.get(path);
    return {
      path,
      status: STATUS[letter.charAt(0)] ?? 'modified',
      binary: count?.binary ?? false,
      oldMode,
      newMode,
      oldBlob,
      newBlob,
      ...(count && !count.binary ? { additions: count.additions ?? 0, deletions: count.deletions ?? 0 } : {}),
    };
  });
}

function splitNul(list: Buffer): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (;;) {
    const end = list.indexOf(0, start);
    if (end < 0) {
      if (start < list.length) tokens.push(list.subarray(start).toString('utf8'));
      return tokens;
    }
    tokens.push(list.subarray(start, end).toString('utf8'));
    start = end + 1;
  }
}
