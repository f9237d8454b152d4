/**
 * B2 string encoding for X-Bz-File-Name, X-Bz-Info-* values, /file/ paths and query values (b2-api.md §5.5),
 * and file-name validation (§5.1). No I/O.
 */
import { isUtf8 } from 'node:buffer';
import { LIMITS } from '../core/limits.js';

// Bytes left as-is: A-Z a-z 0-9 . _ - / ~ ! $ ' ( ) * ; = : @
const SAFE = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/~!$'()*;=:@") {
  SAFE[ch.charCodeAt(0)] = 1;
}
const HEX = '0123456789ABCDEF';

/** Percent-encode a string's UTF-8 bytes by B2's rules (space → %20, + → %2B, / kept). */
export function b2Encode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) {
    if (b < 128 && SAFE[b]) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/**
 * Decode a percent-encoded B2 string; '+' decodes to a space (servers accept Java-SDK style '+').
 * Throws on malformed escapes or invalid UTF-8.
 */
export function b2Decode(value: string): string {
  const plus = value.replace(/\+/g, ' ');
  const bytes: number[] = [];
  for (let i = 0; i < plus.length; i++) {
    const c = plus.charCodeAt(i);
    if (c === 0x25) {
      const h = plus.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error(`bad percent-encoding in ${JSON.stringify(value)}`);
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (c < 128) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(plus[i], 'utf8')) bytes.push(b);
    }
  }
  const buf = Buffer.from(bytes);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  return text;
}

/** Why a file name is not acceptable to B2, or undefined when it is. Current rules: 1..1024 bytes, no C0 or DEL. */
export function fileNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'File names must not be empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > LIMITS.maxFileNameBytes)
    return `File name is ${bytes} bytes; the limit is ${LIMITS.maxFileNameBytes} bytes of UTF-8`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 32) return 'File names must not contain control characters';
    if (c === 127) return 'File names must not contain DEL';
  }
  if (!isWellFormedUtf16(name)) return 'File names must be valid UTF-8';
  return undefined;
}

function isWellFormedUtf16(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Why a local file or folder whose name is not UTF-8 (bytesToName's `valid` false) cannot go to B2. */
export function notUtf8Problem(isDirectory: boolean): string {
  return `${isDirectory ? 'folder' : 'file'} name is not valid UTF-8 (B2 names are UTF-8)`;
}

/**
 * A local name read as bytes, as a string: valid UTF-8 decoded, and each byte that is not part of a
 * valid UTF-8 sequence kept as the lone surrogate U+DC80 + byte (as Python's "surrogateescape"), so
 * the name can still be reported (the CLI prints those as \xNN). `valid` says whether there were none.
 */
export function bytesToName(bytes: Uint8Array): { name: string; valid: boolean } {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(text)) return { name: text.toString('utf8'), valid: true };
  let name = '';
  for (let i = 0; i < text.length;) {
    const n = utf8SequenceLength(text, i);
    if (n > 0) {
      name += text.toString('utf8', i, i + n);
      i += n;
    } else name += String.fromCharCode(0xdc00 + text[i++]);
  }
  return { name, valid: false };
}

/** Length of the valid UTF-8 sequence starting at i (1-4), or 0 when the byte there starts none. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return 0;
  const c1 = b[i + 1];
  // Overlong 3- and 4-byte forms, UTF-16 surrogates, and code points past U+10FFFF.
  if (c === 0xe0 && c1 < 0xa0) return 0;
  if (c === 0xed && c1 >= 0xa0) return 0;
  if (c === 0xf0 && c1 < 0x90) return 0;
  if (c === 0xf4 && c1 >= 0x90) return 0;
  return n;
}

/** Compare two strings by their UTF-8 bytes (B2's listing order). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // Comparing by code point equals comparing UTF-8 bytes; JS string comparison is by UTF-16 unit,
  // which differs only for astral vs U+E000..U+FFFF. Walk code points.
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}

/** Bucket-name rules: 6..63 chars of letters, digits, '-'; not starting with "b2-". */
export function bucketNameProblem(name: string): string | undefined {
  if (typeof name !== 'string') return 'Bucket name must be a string';
  if (name.length < LIMITS.bucketNameMin || name.length > LIMITS.bucketNameMax)
    return `Bucket names are ${LIMITS.bucketNameMin} to ${LIMITS.bucketNameMax} characters long`;
  if (!/^[A-Za-z0-9-]+$/.test(name)) return 'Bucket names may contain only letters, digits and "-"';
  if (name.toLowerCase().startsWith('b2-')) return 'Bucket names must not start with "b2-"';
  return undefined;
}
