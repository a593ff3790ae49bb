// Entry names and link targets as bytes. A Linux name is any byte string without NUL (and
// without "/" inside a segment); it need not be UTF-8 (`caf\xe9.txt`) and may hold newlines.
// Inside Berth such a name is a JS string in "surrogate escape" form (PEP 383, the encoding
// Python uses for file names): every well-formed UTF-8 sequence decodes to its character, and
// every byte that is not part of one becomes the lone surrogate U+DC00 + byte (U+DC80..U+DCFF).
// The mapping is a bijection between byte strings and the strings it produces, because valid
// UTF-8 can never decode to a surrogate; so names stay usable as map keys, `/` still separates
// segments (0x2F is never part of a multi-byte sequence), and nothing is lost. The manifest
// carries such names as a display string plus base64 bytes (manifest.ts); the tar encoder and
// reader turn them back into the exact bytes.

const ESCAPE_BASE = 0xdc00;

/** The bytes of a name as Berth holds it (the inverse of nameFromBytes). */
export function nameToBytes(name: string): Buffer {
  if (!hasEscapes(name)) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff && !isLowHalfOfPair(name, i)) {
      if (plain !== '') parts.push(Buffer.from(plain, 'utf8'));
      plain = '';
      parts.push(Buffer.from([code - ESCAPE_BASE]));
    } else {
      plain += name[i];
    }
  }
  if (plain !== '') parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** The name for these bytes: valid UTF-8 decodes as such, every other byte is escaped. */
export function nameFromBytes(bytes: Uint8Array): string {
  let ascii = true;
  for (const b of bytes) {
    if (b >= 0x80) {
      ascii = false;
      break;
    }
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ascii) return buffer.toString('latin1');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      out += String.fromCharCode(ESCAPE_BASE + (bytes[i] as number));
      i += 1;
    } else {
      out += buffer.toString('utf8', i, i + length);
      i += length;
    }
  }
  return out;
}

/** True when the bytes are well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
export function isUtf8(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length) {
    if ((bytes[i] as number) < 0x80) {
      i++;
      continue;
    }
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return false;
    i += length;
  }
  return true;
}

/** True when the name holds escaped bytes (it is not valid UTF-8 as bytes). */
export function hasEscapes(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff && !isLowHalfOfPair(name, i)) return true;
  }
  return false;
}

/**
 * True when a string is a name in the form nameFromBytes produces: surrogates only as proper
 * pairs or as escapes U+DC80..U+DCFF. Any other lone surrogate could not have come from bytes.
 */
export function isCanonicalName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return false;
    }
    if (code >= 0xdc00 && code <= 0xdfff && !(code >= 0xdc80 && code <= 0xdcff)) return false;
  }
  return true;
}

/** True when the name holds a control character (C0 or DEL), which line-based tools mangle. */
export function hasControlChars(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(name);
}

/** Byte length of the name as stored. */
export function nameByteLength(name: string): number {
  return hasEscapes(name) ? nameToBytes(name).length : Buffer.byteLength(name, 'utf8');
}

/**
 * The name for people (messages, logs, the view): control characters and escaped bytes shown as
 * `\n`, `\t`, `\xNN`, a backslash as `\\`, so a name can never break a message across lines or
 * pass for another name.
 */
export function displayName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    const code = name.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff && !isLowHalfOfPair(name, i)) out += `\\x${(code - ESCAPE_BASE).toString(16).padStart(2, '0')}`;
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Sorts names by their bytes (the order other implementations can reproduce). */
export function compareNameBytes(a: string, b: string): number {
  return Buffer.compare(nameToBytes(a), nameToBytes(b));
}

/**
 * Whether the code unit at i is the second half of a surrogate pair. Escapes (U+DC80..U+DCFF)
 * are low surrogates too, but nameFromBytes never puts a high surrogate anywhere except in
 * front of its pair's low half, so a low surrogate after a high one is always that half.
 */
function isLowHalfOfPair(name: string, i: number): boolean {
  if (i === 0) return false;
  const prev = name.charCodeAt(i - 1);
  return prev >= 0xd800 && prev <= 0xdbff;
}

/** Length of the well-formed UTF-8 sequence starting at i (RFC 3629), or 0 if there is none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0, 0xbf) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  // ED A0..BF would encode a surrogate: not valid UTF-8.
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90, 0xbf) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
