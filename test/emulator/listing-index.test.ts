/** Unit tests of the listing walk and the Range parser (no HTTP). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterPrefix, listFiles, type ListEntry } from '../../src/emulator/listing.js';
import { BucketIndex } from '../../src/emulator/store/meta-store.js';
import type { StoredFile } from '../../src/emulator/store/records.js';
import { parseRange } from '../../src/emulator/handlers/download.js';

let seq = 0;
function version(name: string, action: StoredFile['action'] = 'upload'): StoredFile {
  seq++;
  return {
    fileId: `id-${seq}`,
    seq,
    bucketId: 'b',
    fileName: name,
    action,
    contentLength: 0,
    contentSha1: null,
    contentMd5: null,
    contentType: null,
    fileInfo: {},
    uploadTimestamp: seq,
    segments: [],
  };
}

function index(...files: StoredFile[]): BucketIndex {
  const ix = new BucketIndex();
  for (const f of files) ix.put(f);
  return ix;
}

const label = (e: ListEntry) => (e.folder !== undefined ? `[${e.folder}]` : `${e.file.fileName}#${e.file.seq}`);

describe('listing walk', () => {
  it('afterPrefix gives the smallest string after every name in a folder', () => {
    assert.equal(afterPrefix('a/'), 'a0');
    assert.equal(afterPrefix('photos/cats/'), 'photos/cats0');
    assert.equal(afterPrefix('x\u{10FFFF}'), 'y');
    assert.equal(afterPrefix('a\uD7FF'), 'a\uE000');
    assert.equal(afterPrefix('a\u{1F600}'), 'a\u{1F601}');
  });

  it('keeps names in UTF-8 byte order, astral characters after U+FFFD', () => {
    const ix = index(version('\u{1F600}'), version('\uFFFD'), version('z'), version('a'));
    assert.deepEqual(ix.names, ['a', 'z', '\uFFFD', '\u{1F600}']);
  });

  it('lists each name once (newest visible version); hidden names and unfinished large files are skipped', () => {
    seq = 0;
    const ix = index(
      version('a'),
      version('b'),
      version('b', 'hide'),
      version('c', 'start'),
      version('d'),
      version('d'),
    );
    const page = listFiles(ix, { prefix: '', max: 100 }, false);
    assert.deepEqual(page.entries.map(label), ['a#1', 'd#6']);
    assert.equal(page.next, undefined);
  });

  it('an unfinished large file does not hide the upload beneath it', () => {
    const ix = index(version('a'), version('a', 'start'));
    assert.deepEqual(listFiles(ix, { prefix: '', max: 100 }, false).entries.map(label), [`a#${seq - 1}`]);
  });

  it('versions come newest first and include hide markers and unfinished large files', () => {
    seq = 0;
    const ix = index(version('a'), version('a', 'hide'), version('a', 'start'));
    assert.deepEqual(listFiles(ix, { prefix: '', max: 100 }, true).entries.map(label), ['a#3', 'a#2', 'a#1']);
  });

  it('a full page looks ahead to the first unreturned entry, skipping hidden names', () => {
    seq = 0;
    const ix = index(version('a'), version('b'), version('b', 'hide'), version('c'));
    const page = listFiles(ix, { prefix: '', max: 1 }, false);
    assert.deepEqual(page.entries.map(label), ['a#1']);
    assert.equal(page.next && label(page.next), 'c#4');
    const last = listFiles(ix, { prefix: '', max: 1, startFileName: 'c' }, false);
    assert.equal(last.next, undefined, 'nothing after the last visible name');
  });

  it('folds a folder once, and a folder holding only hidden names is not shown by list_file_names', () => {
    seq = 0;
    const ix = index(version('d/x'), version('d/y'), version('h/x'), version('h/x', 'hide'), version('top'));
    const names = listFiles(ix, { prefix: '', delimiter: '/', max: 100 }, false);
    assert.deepEqual(names.entries.map(label), ['[d/]', 'top#5']);
    const versions = listFiles(ix, { prefix: '', delimiter: '/', max: 100 }, true);
    assert.deepEqual(versions.entries.map(label), ['[d/]', '[h/]', 'top#5']);
  });

  it('a page that ends on a folder continues after everything in it', () => {
    seq = 0;
    const ix = index(version('d/1'), version('d/2'), version('d0'), version('e'));
    const page = listFiles(ix, { prefix: '', delimiter: '/', max: 1 }, false);
    assert.deepEqual(page.entries.map(label), ['[d/]']);
    assert.equal(page.next && label(page.next), 'd0#3');
  });

  it('resumes inside a name at a version sequence, even one since deleted', () => {
    seq = 0;
    const ix = index(version('a'), version('a'), version('a'), version('b'));
    const from2 = listFiles(ix, { prefix: '', startFileName: 'a', startSeq: 2, max: 100 }, true);
    assert.deepEqual(from2.entries.map(label), ['a#2', 'a#1', 'b#4']);
    ix.remove(ix.versions.get('a')![1]);
    const fromGone = listFiles(ix, { prefix: '', startFileName: 'a', startSeq: 2, max: 100 }, true);
    assert.deepEqual(fromGone.entries.map(label), ['a#1', 'b#4']);
  });

  it('pages from anywhere in 50 000 names by binary search, not a scan or sort per call', () => {
    const ix = new BucketIndex();
    for (let i = 0; i < 50_000; i++) ix.put(version(`n/${String((i * 7919) % 50_000).padStart(6, '0')}`));
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) {
      const page = listFiles(
        ix,
        { prefix: 'n/', startFileName: `n/${String(i * 20).padStart(6, '0')}`, max: 10 },
        false,
      );
      assert.equal(page.entries.length, 10);
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `2000 pages took ${ms.toFixed(0)} ms`);
  });

  it('removing the last version of a name drops the name from the index', () => {
    seq = 0;
    const a = version('a');
    const ix = index(a, version('b'));
    ix.remove(a);
    assert.deepEqual(ix.names, ['b']);
    assert.equal(ix.size, 1);
  });
});

describe('Range parsing', () => {
  it('follows b2-api.md §11.6', () => {
    assert.deepEqual(parseRange(undefined, 10), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=5-8', 10), { kind: 'partial', start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=0-9', 10), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=0-', 10), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=7-', 10), { kind: 'partial', start: 7, end: 10 });
    assert.deepEqual(parseRange('bytes=-3', 10), { kind: 'partial', start: 7, end: 10 });
    assert.deepEqual(parseRange('bytes=-30', 10), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=8-100', 10), { kind: 'partial', start: 8, end: 10 });
    assert.deepEqual(parseRange('bytes=10-12', 10), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-0', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('items=1-2', 10), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=1-2,4-5', 10), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=5-2', 10), { kind: 'full' });
  });
});
