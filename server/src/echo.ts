import * as l10n from '@vscode/l10n';

/** Input up to this many characters is echoed whole. */
export const ECHO_LIMIT = 120;
const HEAD = 60;
const TAIL = 40;

/**
 * The one way an error message shows something the user (or a container, or an archive) gave
 * us: a path, a name, a label, an ID, a method. Long values are cut to their first 60 and last
 * 40 characters with the full length, so a rejected 5,000-character path still names itself
 * readably; the start and the end are what tells two long paths apart. Control characters are
 * shown escaped (`\n`, `\u001b`), so a name cannot break a message's line or drive the
 * terminal. Cuts fall between code points, never inside a surrogate pair. Machine-readable
 * fields (`data.path` in a JSON error) keep the whole value.
 */
export function echo(value: string): string {
  const length = codePointLength(value, ECHO_LIMIT + 1);
  if (length <= ECHO_LIMIT) return visible(value);
  const head = firstCodePoints(value, HEAD);
  const tail = lastCodePoints(value, TAIL);
  return l10n.t('{0}…{1} ({2} characters)', visible(head), visible(tail), codePointLength(value, Infinity));
}

/** `echo` in double quotes, for messages that quote what they show. */
export function quoted(value: string): string {
  return `"${echo(value)}"`;
}

/**
 * Cuts every overlong run of non-blank characters in a finished message with `echo`. The last
 * line of defence at the CLI and RPC boundaries, for messages built from text Berth did not
 * write itself (a container's stderr, an errno message naming a path); messages that echo input
 * on purpose use `echo` where they are built.
 */
export function cutLongRuns(message: string): string {
  return message.replace(/\S{121,}/gu, (run) => echo(run));
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(text: string): string {
  return text.replace(CONTROL, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function codePointLength(text: string, stopAt: number): number {
  let n = 0;
  for (const _ of text) {
    if (++n >= stopAt) return n;
  }
  return n;
}

function firstCodePoints(text: string, count: number): string {
  let end = 0;
  let n = 0;
  for (const c of text) {
    if (n++ === count) break;
    end += c.length;
  }
  return text.slice(0, end);
}

function lastCodePoints(text: string, count: number): string {
  let start = text.length;
  for (let n = 0; n < count && start > 0; n++) {
    const low = text.charCodeAt(start - 1);
    const high = start >= 2 ? text.charCodeAt(start - 2) : 0;
    start -= low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
  }
  return text.slice(start);
}
