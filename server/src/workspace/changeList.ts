import type { WorkspaceChangedFile, WorkspaceChangeStatus } from '../../../protocol/src';

const STATUS: Readonly<Record<string, WorkspaceChangeStatus>> = { A: 'added', M: 'modified', D: 'deleted', T: 'typeChanged' };

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
    if (raw.length !== 5 || path === undefined) throw new Error(`unexpected raw diff record "${tokens[i] ?? ''}"`);
    files.push({ path, raw });
    i += 2;
  }
  const counts = new Map<string, { additions?: number; deletions?: number; binary: boolean }>();
  for (; i < tokens.length; i++) {
    const record = tokens[i] ?? '';
    const first = record.indexOf('\t');
    const second = record.indexOf('\t', first + 1);
    if (first < 0 || second < 0) throw new Error(`unexpected numstat record "${record}"`);
    const added = record.slice(0, first);
    const deleted = record.slice(first + 1, second);
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
