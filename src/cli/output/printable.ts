/**
 * Names are data: before a name (or a message that may carry one) reaches a terminal, every character
 * that could split the line, move the cursor or recolour the screen is written as an escape
 * (docs/commands.md, "Names in output"):
 *
 *   \t \n \r            tab, line feed, carriage return
 *   \xNN                any other C0 control, DEL, and a byte of a local name that is not UTF-8
 *                       (read by the walk as U+DC80 + byte, see wire/names.ts bytesToName)
 *   \uNNNN              C1 controls (U+0080-U+009F), U+2028/U+2029, bidirectional overrides and
 *                       isolates (U+202A-U+202E, U+2066-U+2069), any other lone surrogate
 *   \\                  a backslash, in names only (printable), so that every escape is unambiguous
 *
 * Everything else (accents, emoji, spaces, quotes) is printed as it is. --json output is JSON and
 * needs none of this.
 */

// A fast test first: most names hold none of these.
const SUSPECT = /[\x00-\x1f\x7f-\x9f\\\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function escapeAll(s: string, backslash: boolean): string {
  if (!SUSPECT.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += backslash ? '\\\\' : '\\';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex(c, 2)}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      out += s[i] + s[i + 1];
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) out += `\\x${hex(c - 0xdc00, 2)}`;
    else if (isEscapedBmp(c)) out += `\\u${hex(c, 4)}`;
    else out += s[i];
  }
  return out;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isEscapedBmp(c: number): boolean {
  return (
    (c >= 0x80 && c <= 0x9f) ||
    c === 0x2028 ||
    c === 0x2029 ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) ||
    (c >= 0xd800 && c <= 0xdfff)
  );
}

/** A name (file, folder, path, B2 name) as it may be shown to a person: controls and backslashes escaped. */
export function printable(name: string): string {
  return escapeAll(name, true);
}

/** A human result of one or more lines: each line escaped as printableText, the line breaks kept. */
export function printableLines(text: string): string {
  return text.includes('\n') ? text.split('\n').map(printableText).join('\n') : printableText(text);
}

/** Free text (a message, a whole output line) with its controls escaped; backslashes stay as they are. */
export function printableText(text: string): string {
  return escapeAll(text, false);
}
