/** Conformance: b2_list_file_names / b2_list_file_versions (§9), incl. paging across thousands of files. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  bulkUpload,
  call,
  getUploadUrl,
  listAll,
  makeBucket,
  ok,
  session,
  start,
  upload,
  uploadOk,
  utf8Compare,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const N = 3100;
const pad = (i: number) => `f/${String(i).padStart(5, '0')}`;
const isHidden = (i: number) => i % 50 === 0;
const hasTwo = (i: number) => i % 20 === 0;

describe('spec: listings', () => {
  let emu: RunningEmulator;
  let s: Session;
  let big: Json;
  /** name → fileIds newest first (hide markers included). */
  const versionsOf = new Map<string, string[]>();
  let small: Json;

  before(async () => {
    emu = await start();
    s = await session(emu);
    big = await makeBucket(s);
    small = await makeBucket(s);
    const t0 = Date.now();
    const idx = Array.from({ length: N }, (_, i) => i);
    const targets = await Promise.all(Array.from({ length: 4 }, () => getUploadUrl(s, big.bucketId)));
    const firsts = await bulkUpload(targets, idx.map(pad), (_, i) => `v1-${i}`);
    firsts.forEach((f, i) => versionsOf.set(pad(i), [f.fileId]));
    const twos = idx.filter(hasTwo);
    const seconds = await bulkUpload(targets, twos.map(pad), (_, k) => `v2-${twos[k]}`);
    seconds.forEach((f, k) => versionsOf.get(pad(twos[k]))!.unshift(f.fileId));
    for (const i of idx.filter(isHidden)) {
      const h = await ok(s, 'b2_hide_file', { bucketId: big.bucketId, fileName: pad(i) });
      versionsOf.get(pad(i))!.unshift(h.fileId);
    }
    const ms = Date.now() - t0;
    if (ms > 20000) console.log(`# listing fixture took ${ms} ms`);
  });
  after(async () => {
    await emu.close();
  });

  const visibleNames = () =>
    Array.from({ length: N }, (_, i) => i)
      .filter((i) => !isHidden(i))
      .map(pad);
  const allVersions = () => {
    const out: string[] = [];
    for (let i = 0; i < N; i++) out.push(...versionsOf.get(pad(i))!);
    return out;
  };

  for (const size of [1000, 37, 999]) {
    it(`list_file_names pages of ${size} return every visible name exactly once, in order`, async () => {
      const { files, pages } = await listAll(s, 'b2_list_file_names', { bucketId: big.bucketId }, size);
      const names = files.map((f: Json) => f.fileName);
      assert.ok(names.length > 3000, 'the fixture must hold thousands of names');
      assert.equal(names.length, visibleNames().length);
      assert.deepEqual(names, visibleNames());
      const full = Math.ceil(names.length / size);
      assert.ok(pages === full || pages === full + 1, `pages ${pages} for ${names.length} names`);
      assert.ok(files.every((f: Json) => f.action === 'upload'));
    });
  }

  for (const size of [1000, 333]) {
    it(`list_file_versions pages of ${size} return every version exactly once, names ascending and newest first`, async () => {
      const { files } = await listAll(s, 'b2_list_file_versions', { bucketId: big.bucketId }, size);
      assert.deepEqual(
        files.map((f: Json) => f.fileId),
        allVersions(),
      );
      const hides = files.filter((f: Json) => f.action === 'hide');
      assert.equal(hides.length, Array.from({ length: N }, (_, i) => i).filter(isHidden).length);
    });
  }

  it('a full page answers nextFileName pointing at the first unreturned name', async () => {
    const r = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, maxFileCount: 1000 });
    assert.equal(r.files.length, 1000);
    const names = visibleNames();
    assert.equal(r.files[999].fileName, names[999]);
    assert.ok(typeof r.nextFileName === 'string');
    assert.ok(utf8Compare(r.nextFileName, names[999]) > 0 && utf8Compare(r.nextFileName, names[1000]) <= 0);
    const last = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, maxFileCount: 10000 });
    assert.equal(last.files.length, names.length);
    assert.equal(last.nextFileName, null);
  });

  it('maxFileCount 0 or absent means 100', async () => {
    const zero = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, maxFileCount: 0 });
    assert.equal(zero.files.length, 100);
    const absent = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId });
    assert.equal(absent.files.length, 100);
    const nul = await ok(s, 'b2_list_file_versions', {
      bucketId: big.bucketId,
      maxFileCount: null,
      startFileName: null,
      startFileId: null,
      prefix: null,
      delimiter: null,
    });
    assert.equal(nul.files.length, 100);
  });

  it('maxFileCount above 10000 or negative answers 400', async () => {
    for (const name of ['b2_list_file_names', 'b2_list_file_versions']) {
      assertError(await call(s, name, { bucketId: big.bucketId, maxFileCount: 10001 }), 400, 'out_of_range');
      assertError(await call(s, name, { bucketId: big.bucketId, maxFileCount: -1 }), 400, 'out_of_range');
    }
  });

  it('startFileName is inclusive, or starts at the next name after it', async () => {
    const a = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, startFileName: pad(11), maxFileCount: 2 });
    assert.deepEqual(
      a.files.map((f: Json) => f.fileName),
      [pad(11), pad(12)],
    );
    const b = await ok(s, 'b2_list_file_names', {
      bucketId: big.bucketId,
      startFileName: pad(11) + 'x',
      maxFileCount: 2,
    });
    assert.deepEqual(
      b.files.map((f: Json) => f.fileName),
      [pad(12), pad(13)],
    );
  });

  it('list_file_versions: (startFileName, startFileId) is an inclusive start point and next* point at the first unreturned version', async () => {
    const name = pad(20);
    const [newer, older] = versionsOf.get(name)!;
    const first = await ok(s, 'b2_list_file_versions', {
      bucketId: big.bucketId,
      startFileName: name,
      maxFileCount: 1,
    });
    assert.deepEqual(
      first.files.map((f: Json) => f.fileId),
      [newer],
    );
    assert.equal(first.nextFileName, name);
    assert.equal(first.nextFileId, older);
    const second = await ok(s, 'b2_list_file_versions', {
      bucketId: big.bucketId,
      startFileName: name,
      startFileId: older,
      maxFileCount: 2,
    });
    assert.deepEqual(
      second.files.map((f: Json) => f.fileId),
      [older, versionsOf.get(pad(21))![0]],
    );
  });

  it('list_file_versions with a malformed startFileId answers 400', async () => {
    const r = await call(s, 'b2_list_file_versions', {
      bucketId: big.bucketId,
      startFileName: pad(20),
      startFileId: '!!bogus!!',
    });
    assertError(r, 400, 'invalid_file_id');
  });

  it('prefix restricts names to those starting with it', async () => {
    const r = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, prefix: 'f/0001', maxFileCount: 1000 });
    assert.deepEqual(
      r.files.map((f: Json) => f.fileName),
      Array.from({ length: 10 }, (_, k) => pad(10 + k)),
    );
    assert.equal(r.nextFileName, null);
    const none = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, prefix: 'nothing/' });
    assert.deepEqual(none.files, []);
    assert.equal(none.nextFileName, null);
  });

  it('names whose newest version is a hide marker are omitted from names but present in versions', async () => {
    const hidden = pad(100); // two versions + hide
    const names = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, prefix: hidden });
    assert.deepEqual(names.files, []);
    const versions = await ok(s, 'b2_list_file_versions', { bucketId: big.bucketId, prefix: hidden });
    assert.deepEqual(
      versions.files.map((f: Json) => f.action),
      ['hide', 'upload', 'upload'],
    );
    assert.deepEqual(
      versions.files.map((f: Json) => f.fileId),
      versionsOf.get(hidden),
    );
  });

  it('list_file_names returns the newest version of each name', async () => {
    const r = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, prefix: pad(40) });
    assert.deepEqual(
      r.files.map((f: Json) => f.fileId),
      [versionsOf.get(pad(40))![0]],
    );
    assert.equal(r.files[0].contentLength, `v2-40`.length);
  });

  it('listing an unknown bucket answers 400', async () => {
    assertError(await call(s, 'b2_list_file_names', { bucketId: 'aaaaaaaaaaaaaaaaaaaaaaaa' }), 400, [
      'bad_bucket_id',
      'invalid_bucket_id',
      'bad_request',
    ]);
    assertError(await call(s, 'b2_list_file_versions', {}), 400, 'bad_request');
  });

  it('listings are ordered by UTF-8 bytes, not UTF-16 code units', async () => {
    const names = ['\uFF5E', '\u{1F600}', 'a-b', 'a/b', 'a', 'Z', 'é', 'a b', 'a~', '\u00FF', '\uE000x'];
    const t = await getUploadUrl(s, small.bucketId);
    for (const n of names) await uploadOk(t, 'o/' + n, n);
    const r = await ok(s, 'b2_list_file_names', { bucketId: small.bucketId, prefix: 'o/', maxFileCount: 100 });
    const want = names.map((n) => 'o/' + n).sort(utf8Compare);
    assert.deepEqual(
      r.files.map((f: Json) => f.fileName),
      want,
    );
    // the two that JS would order the other way round
    const got = r.files.map((f: Json) => f.fileName);
    assert.ok(got.indexOf('o/\uFF5E') < got.indexOf('o/\u{1F600}'));
    assert.ok(got.indexOf('o/a-b') < got.indexOf('o/a/b'));
    const v = await ok(s, 'b2_list_file_versions', { bucketId: small.bucketId, prefix: 'o/', maxFileCount: 100 });
    assert.deepEqual(
      v.files.map((f: Json) => f.fileName),
      want,
    );
  });

  it('names are bytes: NFC and NFD spellings of one word are two files', async () => {
    const t = await getUploadUrl(s, small.bucketId);
    const nfc = await uploadOk(t, 'nf/caf\u00e9', 'nfc');
    const nfd = await uploadOk(t, 'nf/cafe\u0301', 'nfd');
    assert.notEqual(nfc.fileId, nfd.fileId);
    const r = await ok(s, 'b2_list_file_names', { bucketId: small.bucketId, prefix: 'nf/' });
    assert.deepEqual(
      r.files.map((f: Json) => f.fileName),
      ['nf/cafe\u0301', 'nf/caf\u00e9'],
    );
  });

  it('paging through UTF-8-ordered names one at a time visits each exactly once', async () => {
    const { files } = await listAll(s, 'b2_list_file_names', { bucketId: small.bucketId, prefix: 'o/' }, 1);
    const got = files.map((f: Json) => f.fileName);
    assert.deepEqual(got, [...got].sort(utf8Compare));
    assert.equal(new Set(got).size, got.length);
    assert.equal(got.length, 11);
  });

  describe('delimiter', () => {
    let b: Json;
    before(async () => {
      b = await makeBucket(s);
      for (const n of [
        'photos/a.jpg',
        'photos/cats/x.jpg',
        'photos/cats/y.jpg',
        'photos/dogs/z.jpg',
        'photos/m.jpg',
        'top.txt',
        'photos-x.txt',
        'zz/deep/er.txt',
      ]) {
        await upload(s, b.bucketId, n, n);
      }
      const targets = await Promise.all([getUploadUrl(s, b.bucketId), getUploadUrl(s, b.bucketId)]);
      await bulkUpload(
        targets,
        Array.from({ length: 150 }, (_, i) => `zz/many/${String(i).padStart(3, '0')}`),
        () => 'm',
      );
    });

    it('a page ending on a folder continues after everything beneath it', async () => {
      for (const name of ['b2_list_file_names', 'b2_list_file_versions'] as const) {
        const { files } = await listAll(s, name, { bucketId: b.bucketId, prefix: 'zz/', delimiter: '/' }, 1);
        assert.deepEqual(
          files.map((f: Json) => [f.action, f.fileName]),
          [
            ['folder', 'zz/deep/'],
            ['folder', 'zz/many/'],
          ],
          name,
        );
        const top = await listAll(s, name, { bucketId: b.bucketId, delimiter: '/' }, 1);
        assert.deepEqual(
          top.files.map((f: Json) => f.fileName),
          ['photos-x.txt', 'photos/', 'top.txt', 'zz/'],
          name,
        );
      }
    });

    it('a prefix that is not a whole segment folds after the prefix', async () => {
      const r = await ok(s, 'b2_list_file_names', { bucketId: b.bucketId, prefix: 'photos', delimiter: '/' });
      assert.deepEqual(
        r.files.map((f: Json) => [f.action, f.fileName]),
        [
          ['upload', 'photos-x.txt'],
          ['folder', 'photos/'],
        ],
      );
    });

    it('folds names below the prefix into folder entries, each listed once (§9.2 example)', async () => {
      const r = await ok(s, 'b2_list_file_names', { bucketId: b.bucketId, prefix: 'photos/', delimiter: '/' });
      assert.deepEqual(
        r.files.map((f: Json) => [f.action, f.fileName]),
        [
          ['upload', 'photos/a.jpg'],
          ['folder', 'photos/cats/'],
          ['folder', 'photos/dogs/'],
          ['upload', 'photos/m.jpg'],
        ],
      );
      assert.equal(r.nextFileName, null);
    });

    it('folder entries have the observed shape', async () => {
      const r = await ok(s, 'b2_list_file_names', { bucketId: b.bucketId, prefix: 'photos/', delimiter: '/' });
      const folder = r.files.find((f: Json) => f.fileName === 'photos/cats/');
      assert.deepEqual(
        {
          accountId: folder.accountId,
          action: folder.action,
          bucketId: folder.bucketId,
          contentLength: folder.contentLength,
          contentMd5: folder.contentMd5,
          contentSha1: folder.contentSha1,
          contentType: folder.contentType,
          fileId: folder.fileId,
          fileInfo: folder.fileInfo,
          fileName: folder.fileName,
          uploadTimestamp: folder.uploadTimestamp,
        },
        {
          accountId: s.accountId,
          action: 'folder',
          bucketId: b.bucketId,
          contentLength: 0,
          contentMd5: null,
          contentSha1: null,
          contentType: null,
          fileId: null,
          fileInfo: {},
          fileName: 'photos/cats/',
          uploadTimestamp: 0,
        },
      );
    });

    it('at the top level a delimiter folds every directory', async () => {
      const r = await ok(s, 'b2_list_file_names', { bucketId: b.bucketId, delimiter: '/' });
      assert.deepEqual(
        r.files.map((f: Json) => [f.action, f.fileName]),
        [
          ['upload', 'photos-x.txt'],
          ['folder', 'photos/'],
          ['upload', 'top.txt'],
          ['folder', 'zz/'],
        ],
      );
    });

    it('list_file_versions folds with a delimiter too', async () => {
      const r = await ok(s, 'b2_list_file_versions', { bucketId: b.bucketId, prefix: 'photos/', delimiter: '/' });
      assert.deepEqual(
        r.files.map((f: Json) => [f.action, f.fileName]),
        [
          ['upload', 'photos/a.jpg'],
          ['folder', 'photos/cats/'],
          ['folder', 'photos/dogs/'],
          ['upload', 'photos/m.jpg'],
        ],
      );
    });

    for (const size of [1, 2, 3]) {
      it(`paging with a delimiter in pages of ${size} lists every entry exactly once`, async () => {
        for (const name of ['b2_list_file_names', 'b2_list_file_versions'] as const) {
          const { files } = await listAll(s, name, { bucketId: b.bucketId, prefix: 'photos/', delimiter: '/' }, size);
          assert.deepEqual(
            files.map((f: Json) => f.fileName),
            ['photos/a.jpg', 'photos/cats/', 'photos/dogs/', 'photos/m.jpg'],
            name,
          );
        }
      });
    }

    it('a prefix without delimiter matches like a plain string prefix', async () => {
      const r = await ok(s, 'b2_list_file_names', { bucketId: b.bucketId, prefix: 'photos/c' });
      assert.deepEqual(
        r.files.map((f: Json) => f.fileName),
        ['photos/cats/x.jpg', 'photos/cats/y.jpg'],
      );
    });
  });

  it('list_file_names works as GET with query parameters', async () => {
    const r = await ok(
      s,
      'b2_list_file_names',
      { bucketId: big.bucketId, prefix: 'f/0001', maxFileCount: 3 },
      { method: 'GET' },
    );
    assert.deepEqual(
      r.files.map((f: Json) => f.fileName),
      [pad(10), pad(11), pad(12)],
    );
  });

  it('listing entries carry the file object fields (v2+: accountId, bucketId, contentLength)', async () => {
    const r = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, maxFileCount: 1 });
    const f = r.files[0];
    for (const k of [
      'accountId',
      'action',
      'bucketId',
      'contentLength',
      'contentSha1',
      'contentType',
      'fileId',
      'fileInfo',
      'fileName',
      'uploadTimestamp',
    ])
      assert.ok(k in f, `missing ${k}`);
    assert.equal(f.bucketId, big.bucketId);
  });

  it('v2+ listings use contentLength and drop size', async () => {
    for (const version of ['v2', 'v3', 'v4']) {
      const r = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, maxFileCount: 1 }, { version });
      assert.equal(typeof r.files[0].contentLength, 'number', version);
      assert.ok(!('size' in r.files[0]), `${version} entry carries size`);
    }
  });

  it('v1 listings carry size for rclone', async () => {
    const r = await ok(s, 'b2_list_file_names', { bucketId: big.bucketId, maxFileCount: 1 }, { version: 'v1' });
    assert.equal(r.files[0].size, r.files[0].contentLength ?? r.files[0].size);
    assert.equal(typeof r.files[0].size, 'number');
  });
});
