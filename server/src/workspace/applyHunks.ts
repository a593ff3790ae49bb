/** A patch section that does not fit the text it is applied to. */
export class HunkMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HunkMismatchError';
  }
}

/**
 * Applies one file's unified-diff section (as git prints it) to that file's old text and returns
 * the new text. Used to show the new side of a change without keeping the new blobs: the old
 * text plus the patch determine it exactly. Every context and removed line is checked.
 */
export function applyHunks(oldText: string, section: string): string {
  const lines = section.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const old = splitKeepingEnds(oldText);
  const out: string[] = [];
  let cursor = 0;
  let i = lines.findIndex((l) => l.startsWith('@@ '));
  if (i < 0) {
    if (lines.some((l) => l === 'GIT binary patch' || l.startsWith('Binary files '))) throw new HunkMismatchError('binary section');
    return oldText; // mode-only change
  }
  while (i < lines.length) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[i] ?? '');
    if (!header) throw new HunkMismatchError(`bad hunk header "${lines[i] ?? ''}"`);
    const oldStart = Number(header[1]);
    const oldCount = header[2] === undefined ? 1 : Number(header[2]);
    // For a pure insertion, oldStart names the line after which the new lines go.
    const firstOld = oldCount === 0 ? oldStart : oldStart - 1;
    if (firstOld < cursor || firstOld > old.length) throw new HunkMismatchError(`hunk at line ${oldStart} is out of order`);
    out.push(...old.slice(cursor, firstOld));
    cursor = firstOld;
    i++;
    while (i < lines.length && !(lines[i] ?? '').startsWith('@@ ')) {
      const line = lines[i] ?? '';
      const noEol = lines[i + 1]?.startsWith('\\') === true;
      const body = line.slice(1) + (noEol ? '' : '\n');
      const kind = line.charAt(0);
      if (kind === ' ' || kind === '-') {
        if (old[cursor] !== body) throw new HunkMismatchError(`line ${cursor + 1} does not match the patch`);
        if (kind === ' ') out.push(body);
        cursor++;
      } else if (kind === '+') {
        out.push(body);
      } else if (kind !== '\\') {
        throw new HunkMismatchError(`unexpected patch line "${line.slice(0, 40)}"`);
      }
      i++;
    }
  }
  out.push(...old.slice(cursor));
  return out.join('');
}

function splitKeepingEnds(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}
