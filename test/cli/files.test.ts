/** End-to-end: every file command of the built bin against the emulator, human and --json output, exit codes. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile, stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-files-bucket';
let local: string;

before(async () => {
  fx = await makeFixture();
  local = join(fx.dir, 'local');
  await mkdir(join(local, 'tree', 'sub'), { recursive: true });
  await writeFile(join(local, 'hello.txt'), 'hello world\n');
  await writeFile(join(local, 'tree', 'a.txt'), 'A'.repeat(100));
  await writeFile(join(local, 'tree', 'sub', 'b c+%.txt'), 'bee');
  await writeFile(join(local, 'tree', 'sub', 'ünï.txt'), 'unicode');
});
after(() => fx.close());

describe('buckets and folders', () => {
  test('mkdir b2://bucket creates a bucket; lsd and bucket list show it (--json fields)', async () => {
    expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
    const r = await fx.json(['lsd']);
    expectCode({ code: r.code, stderr: r.stderr }, 0);
    const rec = r.records.find((x) => x.name === B);
    assert.ok(rec, 'bucket listed');
    assert.equal(rec.type, 'bucket');
    assert.equal(rec.bucketType, 'allPrivate');
    assert.equal(typeof rec.bucketId, 'string');
    const l = await fx.run(['bucket', 'list']);
    assert.match(l.stdout, new RegExp(`allPrivate .* ${B}`));
  });

  test('bucket create --dry-run creates nothing; bucket create and delete work', async () => {
    const d = await fx.json(['bucket', 'create', 'cli-dry-bucket', '--dry-run']);
    assert.equal(d.records[0].dryRun, true);
    assert.ok(!(await fx.run(['lsd'])).stdout.includes('cli-dry-bucket'));
    expectCode(await fx.run(['bucket', 'create', 'cli-temp-bucket', '--type', 'allPublic']), 0);
    assert.match((await fx.run(['lsd'])).stdout, /allPublic .* cli-temp-bucket/);
    const del = await fx.json(['bucket', 'delete', 'b2://cli-temp-bucket']);
    assert.equal(del.records[0].type, 'bucket-delete');
    assert.ok(!(await fx.run(['lsd'])).stdout.includes('cli-temp-bucket'));
  });

  test('bucket delete refuses a bucket with files (exit 2); delete of a missing bucket exits 3', async () => {
    await fx.run(['put', join(local, 'hello.txt'), `b2://${B}/keep.txt`]);
    const r = await fx.run(['bucket', 'delete', B]);
    expectCode(r, 2);
    assert.match(r.stderr, /not empty: remove its files first/);
    expectCode(await fx.run(['bucket', 'delete', 'no-such-bucket']), 3);
  });

  test('mkdir b2://bucket/folder makes a .bzEmpty placeholder; rmdir removes an empty folder', async () => {
    expectCode(await fx.run(['mkdir', `b2://${B}/empty-dir`]), 0);
    assert.match((await fx.run(['ls', `b2://${B}/empty-dir/`])).stdout, /\.bzEmpty/);
    assert.match((await fx.run(['lsd', `b2://${B}`])).stdout, /^empty-dir\/$/m);
    // a hidden file does not make the folder non-empty; rmdir removes only the placeholder
    await fx.run(['put', '-', `b2://${B}/empty-dir/gone.txt`], { input: 'gone' });
    await fx.run(['rm', `b2://${B}/empty-dir/gone.txt`]);
    const r = await fx.json(['rmdir', `b2://${B}/empty-dir`]);
    expectCode({ code: r.code, stderr: r.stderr }, 0);
    assert.deepEqual(
      r.records.map((x) => x.name),
      ['empty-dir/.bzEmpty'],
    );
    expectCode(await fx.run(['ls', `b2://${B}/empty-dir/`]), 3);
    assert.equal(
      (await fx.json(['ls', '--versions', `b2://${B}/empty-dir/`])).records.length,
      2,
      'the hidden file keeps its versions',
    );
    expectCode(await fx.run(['rmdir', `b2://${B}/empty-dir`]), 3);
  });
});

describe('put, ls, get, cat', () => {
  test('put a file into a folder (trailing /), a file to a name, a folder recursively, and stdin', async () => {
    const one = await fx.json(['put', join(local, 'hello.txt'), `b2://${B}/docs/`]);
    expectCode({ code: one.code, stderr: one.stderr }, 0);
    assert.equal(one.records[0].type, 'upload');
    assert.equal(one.records[0].name, 'docs/hello.txt');
    assert.equal(one.records[0].size, 12);
    assert.match(String(one.records[0].sha1), /^[0-9a-f]{40}$/);
    expectCode(await fx.run(['put', join(local, 'hello.txt'), `b2://${B}/renamed.txt`]), 0);
    const tree = await fx.json(['put', join(local, 'tree'), `b2://${B}/tree`]);
    assert.deepEqual(tree.records.map((x) => x.name).sort(), ['tree/a.txt', 'tree/sub/b c+%.txt', 'tree/sub/ünï.txt']);
    const s = await fx.run(['put', '-', `b2://${B}/from-stdin.txt`], { input: 'piped bytes' });
    expectCode(s, 0);
    assert.match(s.stdout, /uploaded stdin -> b2:\/\/cli-files-bucket\/from-stdin.txt \(11 B\)/);
  });

  test('put --dry-run uploads nothing', async () => {
    const r = await fx.json(['put', '--dry-run', join(local, 'hello.txt'), `b2://${B}/dry.txt`]);
    assert.equal(r.records[0].dryRun, true);
    expectCode(await fx.run(['ls', `b2://${B}/dry.txt`]), 3);
  });

  test('ls is recursive by default; --no-recursive stays at the top; -l adds mtime, SHA-1, file id', async () => {
    const all = await fx.run(['ls', `b2://${B}`]);
    assert.match(all.stdout, /^\s+3 tree\/sub\/b c\+%\.txt$/m);
    const top = await fx.run(['ls', '--no-recursive', `b2://${B}/tree/`]);
    assert.match(top.stdout, /^\s+100 a\.txt$/m);
    assert.ok(!top.stdout.includes('sub/'), top.stdout);
    const long = await fx.run(['ls', '-l', `b2://${B}/docs/`]);
    assert.match(long.stdout, /^\s+12 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [0-9a-f]{40} \S+\s+hello\.txt$/m);
  });

  test('ls --json gives stable fields for each file', async () => {
    const r = await fx.json(['ls', `b2://${B}/tree/`]);
    const a = r.records.find((x) => x.name === 'tree/a.txt');
    assert.ok(a);
    for (const k of [
      'type',
      'bucket',
      'name',
      'path',
      'size',
      'modTime',
      'uploadTime',
      'sha1',
      'fileId',
      'contentType',
      'action',
    ])
      assert.ok(k in a, `field ${k}`);
    assert.equal(a.path, 'a.txt');
    assert.equal(a.size, 100);
    assert.equal(a.action, 'upload');
  });

  test('get downloads a file into a folder and a prefix into a tree, byte for byte', async () => {
    const out = join(fx.dir, 'out');
    const r = await fx.json(['get', `b2://${B}/docs/hello.txt`, `${out}/`]);
    expectCode({ code: r.code, stderr: r.stderr }, 0);
    assert.equal(r.records[0].local, join(out, 'hello.txt'));
    assert.equal(await readFile(join(out, 'hello.txt'), 'utf8'), 'hello world\n');
    expectCode(await fx.run(['get', `b2://${B}/tree/`, join(out, 'tree')]), 0);
    assert.equal(await readFile(join(out, 'tree', 'sub', 'b c+%.txt'), 'utf8'), 'bee');
    assert.equal(await readFile(join(out, 'tree', 'sub', 'ünï.txt'), 'utf8'), 'unicode');
    const dry = await fx.run(['get', '--dry-run', `b2://${B}/renamed.txt`, join(out, 'never.txt')]);
    expectCode(dry, 0);
    await assert.rejects(stat(join(out, 'never.txt')));
  });

  test('cat writes the whole file or a byte range', async () => {
    assert.equal((await fx.run(['cat', `b2://${B}/from-stdin.txt`])).stdout, 'piped bytes');
    assert.equal((await fx.run(['cat', '--offset', '6', '--count', '3', `b2://${B}/from-stdin.txt`])).stdout, 'byt');
    assert.equal((await fx.run(['cat', '--offset', '6', `b2://${B}/from-stdin.txt`])).stdout, 'bytes');
    expectCode(await fx.run(['cat', `b2://${B}/missing.txt`]), 3);
  });
});

describe('cp, mv, rm, versions, share, cleanup', () => {
  test('cp copies server-side; mv renames a whole prefix and the source is gone', async () => {
    const c = await fx.json(['cp', `b2://${B}/renamed.txt`, `b2://${B}/copied/`]);
    assert.equal(c.records[0].to, `b2://${B}/copied/renamed.txt`);
    assert.equal((await fx.run(['cat', `b2://${B}/copied/renamed.txt`])).stdout, 'hello world\n');
    const before = fx.emu.controls.counters().calls;
    const m = await fx.json(['mv', `b2://${B}/tree/`, `b2://${B}/moved/`]);
    assert.equal(m.records.length, 3);
    const calls = fx.emu.controls.counters().calls;
    const delta = (k: string) => (calls[k] ?? 0) - (before[k] ?? 0);
    assert.equal(delta('b2_copy_file'), 3);
    assert.equal(
      delta('b2_download_file_by_name') + delta('b2_download_file_by_id') + delta('b2_upload_file'),
      0,
      'mv never streams bytes',
    );
    expectCode(await fx.run(['ls', `b2://${B}/tree/`]), 3);
    assert.equal((await fx.run(['cat', `b2://${B}/moved/sub/b c+%.txt`])).stdout, 'bee');
    const dry = await fx.run(['mv', '--dry-run', `b2://${B}/moved/a.txt`, `b2://${B}/x.txt`]);
    assert.match(dry.stdout, /would move/);
    expectCode(await fx.run(['cat', `b2://${B}/moved/a.txt`]), 0);
  });

  test('mv of a file with older versions leaves the source name hidden, not showing the older version', async () => {
    await fx.run(['put', '-', `b2://${B}/mvv/f.txt`], { input: 'old' });
    await fx.run(['put', '-', `b2://${B}/mvv/f.txt`], { input: 'newest' });
    expectCode(await fx.run(['mv', `b2://${B}/mvv/f.txt`, `b2://${B}/mvv/g.txt`]), 0);
    assert.equal((await fx.run(['cat', `b2://${B}/mvv/g.txt`])).stdout, 'newest');
    expectCode(await fx.run(['cat', `b2://${B}/mvv/f.txt`]), 3);
    const v = await fx.json(['versions', `b2://${B}/mvv/f.txt`]);
    // the moved version is deleted (bytes not kept twice); the older one stays behind a hide marker
    assert.deepEqual(
      v.records.map((r) => [r.action, r.size]),
      [
        ['hide', 0],
        ['upload', 3],
      ],
    );
  });

  test('rm hides (versions kept, shown as deleted by ls --versions); rm --versions deletes every version', async () => {
    await fx.run(['put', '-', `b2://${B}/v.txt`], { input: 'one' });
    await fx.run(['put', '-', `b2://${B}/v.txt`], { input: 'two!' });
    const h = await fx.json(['rm', `b2://${B}/v.txt`]);
    assert.equal(h.records[0].type, 'hide');
    expectCode(await fx.run(['cat', `b2://${B}/v.txt`]), 3);
    const lv = await fx.json(['ls', '--versions', `b2://${B}/v.txt`]);
    assert.deepEqual(
      lv.records.map((x) => [x.action, x.deleted, x.current]),
      [
        ['hide', true, true],
        ['upload', false, false],
        ['upload', false, false],
      ],
    );
    const human = await fx.run(['ls', '--versions', `b2://${B}/v.txt`]);
    assert.match(human.stdout, /v\.txt \(deleted /);
    const vl = await fx.json(['versions', `b2://${B}/v.txt`]);
    assert.equal(vl.records.length, 3);
    const newest = vl.records.find((x) => x.action === 'upload' && x.size === 4)!;
    const got = await fx.json(['versions', 'get', `b2://${B}/v.txt`, String(newest.fileId), join(fx.dir, 'v-old.txt')]);
    assert.equal(got.records[0].size, 4);
    assert.equal(await readFile(join(fx.dir, 'v-old.txt'), 'utf8'), 'two!');
    const rs = await fx.json(['versions', 'restore', `b2://${B}/v.txt`, String(newest.fileId)]);
    assert.equal(rs.records[0].type, 'restore');
    assert.equal((await fx.run(['cat', `b2://${B}/v.txt`])).stdout, 'two!');
    const del = await fx.json(['rm', '--versions', `b2://${B}/v.txt`]);
    assert.equal(del.records.length, 4);
    expectCode(await fx.run(['versions', `b2://${B}/v.txt`]), 3);
  });

  test('rm of a folder needs -R (exit 2); rm -R hides every file under it; --dry-run changes nothing', async () => {
    const r = await fx.run(['rm', `b2://${B}/copied`]);
    expectCode(r, 2);
    assert.match(r.stderr, /is a folder: add -R/);
    const d = await fx.json(['rm', '-R', '--dry-run', `b2://${B}/copied/`]);
    assert.equal(d.records[0].dryRun, true);
    expectCode(await fx.run(['cat', `b2://${B}/copied/renamed.txt`]), 0);
    expectCode(await fx.run(['rm', '-R', `b2://${B}/copied/`]), 0);
    expectCode(await fx.run(['ls', `b2://${B}/copied/`]), 3);
    expectCode(await fx.run(['rm', `b2://${B}/nothing-here.txt`]), 3);
  });

  test('rmdir refuses a folder with files, needs confirmation without --force, and --recursive --force empties it', async () => {
    const r = await fx.run(['rmdir', `b2://${B}/moved`]);
    expectCode(r, 2);
    assert.match(r.stderr, /not empty \(3 files\): use rmdir --recursive/);
    const noTty = await fx.run(['rmdir', '--recursive', `b2://${B}/moved`]);
    expectCode(noTty, 2);
    assert.match(noTty.stderr, /add --force/);
    expectCode(await fx.run(['rmdir', '--recursive', '--force', `b2://${B}/moved`]), 0);
    assert.equal(
      (await fx.json(['ls', '--versions', `b2://${B}`])).records.filter((x) => String(x.name).startsWith('moved/'))
        .length,
      0,
    );
  });

  test('share: a link with a token that downloads; --expires clamped with a notice; public bucket gets a plain URL', async () => {
    const s = await fx.json(['share', '--expires', '30d', `b2://${B}/from-stdin.txt`]);
    expectCode({ code: s.code, stderr: s.stderr }, 0);
    assert.match(s.stderr, /over B2's 7-day maximum: the link is valid for 7d/);
    assert.equal(s.records[0].seconds, 604800);
    const url = String(s.records[0].url);
    assert.match(url, /\/file\/cli-files-bucket\/from-stdin\.txt\?Authorization=/);
    assert.equal(await (await fetch(url)).text(), 'piped bytes');
    const plainUrl = url.replace(/\?.*$/, '');
    assert.equal((await fetch(plainUrl)).status, 401, 'private bucket: the plain URL is refused');
    const short = await fx.run(['share', '--expires', '0s', `b2://${B}/from-stdin.txt`]);
    assert.match(short.stderr, /below B2's 1-second minimum/);
    expectCode(await fx.run(['share', '--expires', 'whenever', `b2://${B}/from-stdin.txt`]), 2);
    await fx.run(['bucket', 'create', 'cli-public-bucket', '--type', 'allPublic']);
    await fx.run(['put', '-', 'b2://cli-public-bucket/p.txt'], { input: 'public' });
    const p = await fx.json(['share', 'b2://cli-public-bucket/p.txt']);
    assert.equal(p.records[0].public, true);
    assert.match(p.stderr, /is public: anyone can download with the plain URL/);
    assert.equal(await (await fetch(String(p.records[0].url))).text(), 'public');
    expectCode(await fx.run(['share', `b2://${B}/no-such-thing`]), 3);
  });

  test('cleanup --old-versions deletes superseded versions; cleanup of a local folder removes orphaned temp files', async () => {
    await fx.run(['put', '-', `b2://${B}/old.txt`], { input: '1' });
    await fx.run(['put', '-', `b2://${B}/old.txt`], { input: '22' });
    const keep = await fx.json(['cleanup', '--old-versions', '--keep-days', '1', `b2://${B}/old.txt`]);
    assert.equal(keep.records.length, 0, 'superseded just now: kept with --keep-days 1');
    const c = await fx.json(['cleanup', '--old-versions', `b2://${B}/old.txt`]);
    assert.deepEqual(
      c.records.map((x) => x.type),
      ['delete'],
    );
    assert.equal((await fx.json(['versions', `b2://${B}/old.txt`])).records.length, 1);
    const dl = join(fx.dir, 'dl');
    await mkdir(join(dl, 'deep'), { recursive: true });
    await writeFile(join(dl, 'deep', 'movie.mkv.0123456789ab.b2sync-tmp'), 'partial');
    await writeFile(join(dl, 'keep.txt'), 'keep');
    const dry = await fx.json(['cleanup', '--dry-run', dl]);
    assert.equal(dry.records.length, 1);
    assert.ok((await readdir(join(dl, 'deep'))).length === 1);
    const real = await fx.json(['cleanup', dl]);
    assert.equal(real.records[0].type, 'temp-file');
    assert.deepEqual(await readdir(join(dl, 'deep')), []);
    assert.equal(await readFile(join(dl, 'keep.txt'), 'utf8'), 'keep');
  });

  test('cleanup cancels unfinished large files', async () => {
    const { B2Client } = await import('../../src/client/b2-client.js');
    const client = new B2Client({
      applicationKeyId: fx.emu.keyId,
      applicationKey: fx.emu.applicationKey,
      endpoint: fx.emu.url,
    });
    try {
      const bucket = await client.getBucket(B);
      await client.startLargeFile({ bucketId: bucket.bucketId, fileName: 'big/unfinished.bin' });
      const dry = await fx.json(['cleanup', '--dry-run', `b2://${B}/big/`]);
      assert.equal(dry.records[0].type, 'cancel-large-file');
      const recent = await fx.json(['cleanup', '--older-than', '1h', `b2://${B}`]);
      assert.equal(recent.records.length, 0, 'started just now: not older than 1h');
      const c = await fx.json(['cleanup', `b2://${B}`]);
      assert.equal(c.records[0].name, 'big/unfinished.bin');
      let left = 0;
      for await (const _ of client.listUnfinishedLargeFiles(bucket.bucketId)) left++;
      assert.equal(left, 0);
    } finally {
      await client.close();
    }
  });
});
