/**
 * check, size and hashsum against the emulator over HTTP, through the built CLI: each kind of
 * difference, the exit codes, a large file without a SHA-1 (size only, or bytes with --download),
 * size's counts of versions and hides, and hashsum's output read by the real `sha1sum -c`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { B2Client } from '../../src/client/b2-client.js';
import { expectCode, makeFixture, type Fixture } from './harness.js';

const B = 'check-bucket';
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), content);
  }
}

/** A large file of one part, finished without large_file_sha1: B2 knows no SHA-1 for it. */
async function largeWithoutSha1(client: B2Client, bucketId: string, name: string, content: string): Promise<void> {
  const f = await client.startLargeFile({ bucketId, fileName: name });
  const body = Buffer.from(content);
  await client.uploadPart({ fileId: f.fileId!, partNumber: 1, body, contentLength: body.length });
  await client.finishLargeFile(f.fileId!, [sha1(content)]);
}

describe('check, size, hashsum', () => {
  let fx: Fixture;
  let client: B2Client;
  let bucketId: string;
  before(async () => {
    fx = await makeFixture();
    client = new B2Client({
      applicationKeyId: fx.emu.keyId,
      applicationKey: fx.emu.applicationKey,
      endpoint: fx.emu.url,
    });
    expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
    bucketId = (await client.getBucket(B)).bucketId;
  });
  after(async () => {
    await client.close();
    await fx.close();
  });

  test('check: equal trees exit 0; each kind of difference is listed, counted, and exits 5', async () => {
    const root = join(fx.dir, 'tree1');
    await writeTree(root, { 'a.txt': 'same', 'dir/b.txt': 'bbbb', 'c.txt': 'cccc', 'd.txt': 'dd' });
    expectCode(await fx.run(['sync', root, `b2://${B}/t1/`]), 0);
    const equal = await fx.run(['check', root, `b2://${B}/t1/`]);
    expectCode(equal, 0);
    assert.equal(equal.stdout, '');
    assert.match(equal.stderr, /check: 4 matching, 0 missing on destination, 0 missing on source, 0 differing/);

    // Same size, new bytes (c.txt); size differs (d.txt); only local (new.txt); only on B2 (dir/b.txt).
    await writeTree(root, { 'c.txt': 'CCCC', 'd.txt': 'ddd', 'new\nline.txt': 'n' });
    await client.hideFile(bucketId, 't1/zz.txt').catch(() => undefined);
    const { rm } = await import('node:fs/promises');
    await rm(join(root, 'dir'), { recursive: true });
    const r = await fx.run(['check', root, `b2://${B}/t1/`]);
    expectCode(r, 5);
    assert.deepEqual(r.stdout.trim().split('\n'), ['* c.txt', '* d.txt', '- dir/b.txt', '+ new\\nline.txt']);
    assert.match(r.stderr, /1 matching, 1 missing on destination, 1 missing on source, 2 differing/);
    assert.match(r.stderr, /4 difference\(s\) found/);

    const oneWay = await fx.run(['check', '--one-way', root, `b2://${B}/t1/`]);
    expectCode(oneWay, 5);
    assert.ok(!oneWay.stdout.includes('dir/b.txt'), oneWay.stdout);

    const filtered = await fx.run(['check', '--include', 'a.txt', root, `b2://${B}/t1/`]);
    expectCode(filtered, 0);

    const j = await fx.json(['check', root, `b2://${B}/t1/`]);
    expectCode(j, 5);
    const diffs = j.records.filter((x) => x.type === 'difference');
    assert.deepEqual(
      diffs.map((d) => `${String(d.kind)} ${String(d.path)} ${String(d.reason)}`),
      [
        'differ c.txt SHA-1 differs',
        'differ d.txt sizes differ (3 and 2 bytes)',
        'missing-on-source dir/b.txt only on the destination',
        'missing-on-destination new\nline.txt only on the source',
      ],
    );
    const summary = j.records.at(-1)!;
    assert.equal(summary.type, 'summary');
    assert.equal(summary.equal, false);
    assert.equal(summary.differing, 2);
  });

  test('check B2 to B2, and a large file without SHA-1: size only with a note, bytes with --download', async () => {
    const root = join(fx.dir, 'tree2');
    const big = 'x'.repeat(2500);
    await writeTree(root, { 'big.bin': big, 'k.txt': 'kk' });
    expectCode(await fx.run(['sync', root, `b2://${B}/t2a/`]), 0);
    await largeWithoutSha1(client, bucketId, 't2b/big.bin', 'y'.repeat(2500)); // same size, other bytes
    await fx.run(['cp', `b2://${B}/t2a/k.txt`, `b2://${B}/t2b/k.txt`]);

    const bySize = await fx.run(['check', `b2://${B}/t2a/`, `b2://${B}/t2b/`]);
    expectCode(bySize, 0);
    assert.match(bySize.stderr, /big\.bin: no SHA-1 known on the destination .*compared by size only/);
    assert.match(bySize.stderr, /1 matching, .*1 compared by size only/);

    const bytes = await fx.run(['check', '--download', `b2://${B}/t2a/`, `b2://${B}/t2b/`]);
    expectCode(bytes, 5);
    assert.equal(bytes.stdout.trim(), '* big.bin');
    const local = await fx.json(['check', '--download', root, `b2://${B}/t2b/`]);
    expectCode(local, 5);
    assert.equal(local.records.find((x) => x.type === 'difference')!.reason, 'contents differ at byte 0');

    await largeWithoutSha1(client, bucketId, 't2c/big.bin', big);
    const same = await fx.run(['check', '--download', root, `b2://${B}/t2c/`, '--one-way', '--include', 'big.bin']);
    expectCode(same, 0);
  });

  test('check: a missing local folder is not found (3); local to local works', async () => {
    expectCode(await fx.run(['check', join(fx.dir, 'nope'), `b2://${B}/t1/`]), 3);
    const a = join(fx.dir, 'll-a');
    const b = join(fx.dir, 'll-b');
    await writeTree(a, { 'x.txt': 'x', 'y.txt': 'y' });
    await writeTree(b, { 'x.txt': 'x', 'y.txt': 'Y' });
    const r = await fx.run(['check', a, b]);
    expectCode(r, 5);
    assert.equal(r.stdout.trim(), '* y.txt');
  });

  test('size counts latest versions, old versions, hidden files and unfinished large files as the emulator holds them', async () => {
    const p = 'sz/';
    const up = (name: string, content: string) =>
      client.uploadFile({ bucketId, fileName: p + name, body: Buffer.from(content), contentLength: content.length });
    await up('a.txt', '1234'); // old version of a
    await up('a.txt', '123456'); // latest a
    await up('b.txt', '12'); // latest b
    await up('gone.txt', '123'); // hidden
    await up('gone.txt', '12345'); // hidden
    await client.hideFile(bucketId, p + 'gone.txt');
    const f = await client.startLargeFile({ bucketId, fileName: p + 'part.bin' });
    const part = Buffer.alloc(700, 1);
    await client.uploadPart({ fileId: f.fileId!, partNumber: 1, body: part, contentLength: part.length });
    const j = await fx.json(['size', `b2://${B}/${p}`]);
    expectCode(j, 0);
    const rec = j.records[0];
    assert.deepEqual(
      { ...rec, remote: undefined },
      {
        type: 'size',
        remote: undefined,
        files: 2,
        bytes: 8,
        oldVersions: 1,
        oldVersionBytes: 4,
        hiddenFiles: 1,
        hiddenVersions: 2,
        hiddenBytes: 8,
        hideMarkers: 1,
        unfinishedLargeFiles: 1,
        unfinishedBytes: 700,
        totalBytes: 720,
      },
    );
    const human = await fx.run(['size', `b2://${B}/${p}`]);
    expectCode(human, 0);
    assert.match(human.stdout, /Old versions: +1 \(/);
  });

  test('hashsum sha1: local and B2 output verified by the real sha1sum -c; a B2 file without SHA-1 exits 4', async (t) => {
    if (spawnSync('sha1sum', ['--version']).status !== 0) return t.skip('sha1sum is not installed');
    const root = join(fx.dir, 'tree3');
    // B2 names hold no control characters; a backslash line is written with GNU's escape.
    await writeTree(root, { 'a.txt': 'aaa', 'sub/b c.txt': 'b', 'back\\slash.txt': 'z', 'café.txt': 'n' });
    const check = (sums: string) => spawnSync('sha1sum', ['-c', '--strict', '-'], { cwd: root, input: sums });
    const local = await fx.run(['hashsum', 'sha1', root]);
    expectCode(local, 0);
    assert.equal(local.stdout.split('\n').filter(Boolean).length, 4);
    let c = check(local.stdout);
    assert.equal(c.status, 0, c.stdout.toString() + c.stderr.toString());
    expectCode(await fx.run(['sync', root, `b2://${B}/t3/`]), 0);
    const remote = await fx.run(['hashsum', 'sha1', `b2://${B}/t3/`]);
    expectCode(remote, 0);
    c = check(remote.stdout);
    assert.equal(c.status, 0, c.stdout.toString() + c.stderr.toString());
    assert.equal(remote.stdout, local.stdout);
    const one = await fx.run(['hashsum', 'sha1', `b2://${B}/t3/a.txt`]);
    assert.equal(one.stdout, `${sha1('aaa')}  a.txt\n`);
    // A wrong hash is caught by sha1sum -c: the check is real.
    assert.notEqual(check(local.stdout.replace(sha1('aaa'), sha1('aab'))).status, 0);

    await largeWithoutSha1(client, bucketId, 't4/big.bin', 'q'.repeat(1000));
    const none = await fx.run(['hashsum', 'sha1', `b2://${B}/t4/`]);
    expectCode(none, 4);
    assert.match(none.stderr, /big\.bin: no SHA-1 known on B2/);
    const dl = await fx.run(['hashsum', 'sha1', '--download', `b2://${B}/t4/`]);
    expectCode(dl, 0);
    assert.equal(dl.stdout, `${sha1('q'.repeat(1000))}  big.bin\n`);
    expectCode(await fx.run(['hashsum', 'md5', root]), 2);
  });
});
