/** Unit tests for the incremental list-reply reader (pure: no server). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonArrayStream } from '../../src/client/json-array-stream.js';

interface Item {
  fileName: string;
  [k: string]: unknown;
}

/** Feed `text` split at the given byte offsets; return the elements (in order) and the rest. */
function feed(
  text: string,
  cuts: number[],
  key = 'files',
): { items: Item[]; rest: Record<string, unknown>; pushes: number[] } {
  const bytes = Buffer.from(text);
  const s = new JsonArrayStream<Item>(key);
  const items: Item[] = [];
  const pushes: number[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    const got = s.push(bytes.subarray(from, at));
    pushes.push(got.length);
    items.push(...got);
    from = at;
  }
  return { items, rest: s.end(), pushes };
}

const tricky: Item[] = [
  { fileName: 'plain.txt', size: 1, fileInfo: { a: 'b' } },
  { fileName: 'quote " and backslash \\ and }{][', size: 2, nested: { deep: { deeper: [1, { x: '}' }] } } },
  { fileName: 'naïve/日本語/🙂.txt', size: 3, fileInfo: {} },
  { fileName: 'escapes \\" \\\\" \n\t\u0001 end\\', size: 4, fileInfo: null },
  { fileName: '},{"fileName":"fake"}', size: 5 },
];

test('JsonArrayStream gives every element and the rest, whatever the chunk boundaries (each byte offset)', () => {
  const reply = { files: tricky, nextFileName: 'next "name"', nextFileId: null };
  for (const text of [JSON.stringify(reply), JSON.stringify(reply, null, 2)]) {
    const len = Buffer.byteLength(text);
    for (let cut = 0; cut <= len; cut++) {
      const { items, rest } = feed(text, [cut]);
      assert.deepEqual(items, tricky, `cut at ${cut}`);
      assert.deepEqual(rest, { files: [], nextFileName: 'next "name"', nextFileId: null }, `cut at ${cut}`);
    }
    // One byte per push: every state crosses a chunk boundary somewhere.
    const every = Array.from({ length: len - 1 }, (_, i) => i + 1);
    const { items, rest } = feed(text, every);
    assert.deepEqual(items, tricky);
    assert.equal(rest.nextFileName, 'next "name"');
  }
});

test('JsonArrayStream yields elements as their bytes arrive, not at the end of the reply', () => {
  const files = Array.from({ length: 50 }, (_, i) => ({ fileName: `f${i}` }));
  const text = JSON.stringify({ files, nextFileName: null });
  const half = Math.floor(Buffer.byteLength(text) / 2);
  const { items, pushes } = feed(text, [half]);
  assert.equal(items.length, 50);
  assert.ok(pushes[0] >= 20 && pushes[0] < 50, `first half gave ${pushes[0]} elements`);
});

test('JsonArrayStream keeps fields before and after the array, and an empty array', () => {
  const { items, rest } = feed('{"a":1,"files":[],"b":{"c":[1,2]},"nextFileName":null}', [3, 17]);
  assert.deepEqual(items, []);
  assert.deepEqual(rest, { a: 1, files: [], b: { c: [1, 2] }, nextFileName: null });
});

test('JsonArrayStream streams the named array and refuses a reply whose array is another one', () => {
  assert.throws(() => feed('{"other":[{"x":1}],"files":[]}', []), /expected the array "files"/);
  const { rest } = feed('{"parts":[{"partNumber":1}],"nextPartNumber":null}', [], 'parts');
  assert.deepEqual(rest, { parts: [], nextPartNumber: null });
});

test('JsonArrayStream rejects a reply cut short, a non-object reply and non-object elements', () => {
  const text = JSON.stringify({ files: tricky, nextFileName: null });
  for (const end of [1, 20, Math.floor(text.length / 2), text.length - 1]) {
    const s = new JsonArrayStream<Item>('files');
    s.push(Buffer.from(text).subarray(0, end));
    assert.throws(() => s.end(), SyntaxError, `ended at ${end}`);
  }
  assert.throws(() => feed('[1,2]', []), SyntaxError);
  assert.throws(() => feed('{"files":[1,2]}', []), /other than objects/);
  assert.throws(() => feed('{"files":[{"a":1}]}}', []), SyntaxError);
});

test('JsonArrayStream bounds what it keeps outside the array', () => {
  const s = new JsonArrayStream<Item>('files', 64);
  assert.throws(() => s.push(Buffer.from(`{"junk":"${'x'.repeat(100)}","files":[]}`)), /more than 64 bytes/);
});

test('JsonArrayStream with a strip pattern removes it from every element, whole or split across chunks', () => {
  const files = [
    { fileName: 'a', legalHold: { value: null }, size: 1 },
    { fileName: ',"legalHold":{"value":null}', legalHold: { value: null } },
    { fileName: 'c', legalHold: { value: 'on' } },
  ];
  const text = JSON.stringify({ files, nextFileName: null });
  const bytes = Buffer.from(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const s = new JsonArrayStream<Item>('files', undefined, /,"legalHold":\{"value":null\}/g);
    const items = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
    assert.deepEqual(
      items,
      [{ fileName: 'a', size: 1 }, { fileName: ',"legalHold":{"value":null}' }, files[2]],
      `cut at ${cut}`,
    );
    assert.deepEqual(s.end(), { files: [], nextFileName: null });
  }
});

test('JsonArrayStream gives the same elements on its fast path (long arrays in big chunks), names holding "},{" included', () => {
  const files: Item[] = [];
  for (let i = 0; i < 3000; i++) {
    const odd = tricky[i % tricky.length];
    files.push(
      i % 7 === 0 ? { ...odd, n: i } : { fileName: `d${i % 13}/f${i}.txt`, size: i, fileInfo: { m: String(i) } },
    );
  }
  // A name that makes the last "},{" of a chunk lie inside a string: the cut does not parse, the scan takes over.
  files.push({ fileName: '"},{"fileName":"x"}', size: -1 });
  files.push({ fileName: 'after', size: 0 });
  const reply = { files, nextFileName: 'z', nextFileId: null };
  for (const text of [JSON.stringify(reply), JSON.stringify(reply, null, 1)]) {
    const len = Buffer.byteLength(text);
    for (const step of [65_536, 4_096, 1_000, 333]) {
      const cuts: number[] = [];
      for (let at = step; at < len; at += step) cuts.push(at);
      const { items, rest } = feed(text, cuts);
      assert.equal(items.length, files.length, `chunks of ${step}`);
      assert.deepEqual(items, files, `chunks of ${step}`);
      assert.deepEqual(rest, { files: [], nextFileName: 'z', nextFileId: null });
    }
  }
});

test('JsonArrayStream refuses a non-object element met on its fast path, and a reply cut short there', () => {
  const many = Array.from({ length: 200 }, (_, i) => JSON.stringify({ fileName: `f${i}` }));
  const text = `{"files":[${many.slice(0, 100).join(',')},7,${many.slice(100).join(',')}],"nextFileName":null}`;
  const cuts = [50, 3000, 6000];
  assert.throws(() => feed(text, cuts), /other than objects/);
  const good = Buffer.from(`{"files":[${many.join(',')}],"nextFileName":null}`);
  const s = new JsonArrayStream<Item>('files');
  let n = s.push(good.subarray(0, 50)).length;
  n += s.push(good.subarray(50, 3000)).length;
  assert.ok(n > 100, `gave ${n} elements`);
  assert.throws(() => s.end(), /ended early/);
});
