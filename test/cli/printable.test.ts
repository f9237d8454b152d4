/** The escape of names in human output (printable) and local names read as bytes (bytesToName). Pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printable, printableLines, printableText } from '../../src/cli/output/printable.js';
import { bytesToName } from '../../src/wire/names.js';

test('printable escapes C0, DEL, C1, line separators, bidi overrides and backslashes; nothing else', () => {
  assert.equal(printable('a\tb\nc\rd'), 'a\\tb\\nc\\rd');
  assert.equal(printable('x\x1b[31my\x00\x7f'), 'x\\x1b[31my\\x00\\x7f');
  assert.equal(printable('c1\u0085\u009b'), 'c1\\u0085\\u009b');
  assert.equal(printable('l\u2028p\u2029'), 'l\\u2028p\\u2029');
  assert.equal(printable('evil\u202egnp.exe'), 'evil\\u202egnp.exe');
  assert.equal(printable('a\\b'), 'a\\\\b');
  for (const plain of ['café', 'cafe\u0301', '😀 x', ' lead', 'trail ', '%+#?"\'', '--help', '..foo', '\u00a0nbsp'])
    assert.equal(printable(plain), plain);
});

test('printableText escapes controls but leaves backslashes as they are', () => {
  assert.equal(printableText('C:\\dir\nnext'), 'C:\\dir\\nnext');
});

test('printableLines keeps the line breaks of a multi-line result and escapes the rest', () => {
  assert.equal(printableLines('one\n  two\x1b[0m'), 'one\n  two\\x1b[0m');
});

test('lone surrogates: U+DC80..U+DCFF (a stray byte) print as \\xNN, others as \\uNNNN, pairs as they are', () => {
  assert.equal(printable('caf\udce9.txt'), 'caf\\xe9.txt');
  assert.equal(printable('a\ud800b'), 'a\\ud800b');
  assert.equal(printable('\ud83d\ude00\udcff'), '😀\\xff');
});

test('bytesToName keeps valid UTF-8 and maps every stray byte to U+DC80 + byte', () => {
  assert.deepEqual(bytesToName(Buffer.from('café 😀')), { name: 'café 😀', valid: true });
  const bad = bytesToName(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74]));
  assert.deepEqual(bad, { name: 'caf\udce9.t', valid: false });
  assert.equal(printable(bad.name), 'caf\\xe9.t');
  // An encoded surrogate, an overlong form, a truncated sequence, a byte past U+10FFFF.
  assert.equal(printable(bytesToName(Buffer.from([0xed, 0xa0, 0x80])).name), '\\xed\\xa0\\x80');
  assert.equal(printable(bytesToName(Buffer.from([0xc0, 0xaf])).name), '\\xc0\\xaf');
  assert.equal(printable(bytesToName(Buffer.from([0x61, 0xe2, 0x82])).name), 'a\\xe2\\x82');
  assert.equal(printable(bytesToName(Buffer.from([0xf4, 0x90, 0x80, 0x80])).name), '\\xf4\\x90\\x80\\x80');
  assert.equal(bytesToName(Buffer.from([0xe2, 0x82, 0xac, 0xff])).name, '€\udcff');
});
