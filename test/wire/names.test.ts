import { test } from 'node:test';
import assert from 'node:assert/strict';
import { b2Decode, b2Encode, compareUtf8, fileNameProblem, bucketNameProblem } from '../../src/wire/names.js';

test('b2Encode keeps the safe set and slashes, encodes space, plus and unicode', () => {
  assert.equal(b2Encode("a/b c+d%~!$'()*;=:@"), "a/b%20c%2Bd%25~!$'()*;=:@");
  assert.equal(b2Encode('é'), '%C3%A9');
  assert.equal(b2Encode('😀'), '%F0%9F%98%80');
});

test('b2Decode reverses b2Encode and reads + as space', () => {
  for (const s of ['plain', 'with space', 'a+b', '100%', 'ünï/cødé', '😀 emoji'])
    assert.equal(b2Decode(b2Encode(s)), s);
  assert.equal(b2Decode('a+b'), 'a b');
  assert.throws(() => b2Decode('%zz'));
  assert.throws(() => b2Decode('%C3'));
});

test('compareUtf8 orders by UTF-8 bytes, not UTF-16 units', () => {
  // U+FF5E (3 bytes EF BD 9E) sorts before U+1F600 (4 bytes F0 ...) in UTF-8; in UTF-16 it is the other way.
  assert.equal(compareUtf8('\uff5e', '😀'), -1);
  assert.ok('\uff5e' > '😀');
  assert.equal(compareUtf8('a-b', 'a/b'), -1);
  assert.equal(compareUtf8('a', 'ab'), -1);
  assert.equal(compareUtf8('x', 'x'), 0);
});

test('fileNameProblem enforces length and control characters', () => {
  assert.equal(fileNameProblem('ok/name.txt'), undefined);
  assert.match(fileNameProblem('')!, /empty/);
  assert.match(fileNameProblem('a\u0001b')!, /control/);
  assert.match(fileNameProblem('a\u007fb')!, /DEL/);
  assert.equal(fileNameProblem('é'.repeat(512)), undefined);
  assert.match(fileNameProblem('é'.repeat(513))!, /1026 bytes/);
});

test('bucketNameProblem applies B2 bucket rules', () => {
  assert.equal(bucketNameProblem('my-bucket-1'), undefined);
  assert.ok(bucketNameProblem('short'));
  assert.ok(bucketNameProblem('b2-reserved'));
  assert.ok(bucketNameProblem('under_score'));
  assert.ok(bucketNameProblem('x'.repeat(64)));
});
