/**
 * End-to-end: hostile names through the built bin. Local names that are not UTF-8 (sync, put), names
 * with controls printed escaped, B2 names that cannot be local paths (sync down, get of a prefix),
 * names B2 cannot store, and a 250-byte name downloaded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { B2Client } from '../../src/client/b2-client.js';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
let client: B2Client;
let seq = 0;

before(async () => {
  fx = await makeFixture();
  client = new B2Client({
    applicationKeyId: fx.emu.keyId,
    applicationKey: fx.emu.applicationKey,
    endpoint: fx.emu.url,
  });
});
after(async () => {
  await client.close();
  await fx.close();
});

async function bucket(): Promise<{ name: string; id: string }> {
  const b = await client.createBucket({ bucketName: `cli-names-${++seq}`, bucketType: 'allPrivate' });
  return { name: b.bucketName, id: b.bucketId };
}

async function folder(tag: string): Promise<string> {
  const d = join(fx.dir, `${tag}-${++seq}`);
  await mkdir(d, { recursive: true });
  return d;
}

/** A path whose last component is raw bytes. */
function rawPath(dir: string, bytes: number[]): Buffer {
  return Buffer.concat([Buffer.from(dir + '/'), Buffer.from(bytes)]);
}

const CAFE_LATIN1 = [0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]; // "caf\xe9.txt"
const DIR_FF = [0x64, 0xff]; // "d\xff"

async function names(b: { id: string }): Promise<string[]> {
  const out: string[] = [];
  for await (const f of client.listFileNames(b.id, {})) out.push(f.fileName);
  return out;
}

test('sync up: a file and a folder whose names are not UTF-8 are failed items named by their bytes, exit 4, the rest uploaded', async () => {
  const src = await folder('badutf8');
  await writeFile(join(src, 'good.txt'), 'good');
  await writeFile(rawPath(src, CAFE_LATIN1), 'latin-1 name');
  await mkdir(rawPath(src, DIR_FF));
  await writeFile(Buffer.concat([rawPath(src, DIR_FF), Buffer.from('/inner.txt')]), 'inside');
  const b = await bucket();
  const r = await fx.run(['sync', src, `b2://${b.name}/`]);
  expectCode(r, 4);
  assert.match(r.stderr, /failed: caf\\xe9\.txt: list source: file name is not valid UTF-8/);
  assert.match(r.stderr, /failed: d\\xff: list source: folder name is not valid UTF-8/);
  assert.doesNotMatch(r.stderr, /vanished/);
  assert.deepEqual(await names(b), ['good.txt']);
});

test('a name that is not UTF-8 holds back no deletion: it can match nothing on B2', async () => {
  const src = await folder('badutf8-delete');
  await writeFile(join(src, 'good.txt'), 'good');
  await writeFile(rawPath(src, CAFE_LATIN1), 'latin-1 name');
  const b = await bucket();
  await client.uploadFile({ bucketId: b.id, fileName: 'extra.txt', body: Buffer.from('x'), contentLength: 1 });
  expectCode(await fx.run(['copy', src, `b2://${b.name}/`]), 4); // good.txt there, so one deletion of two is allowed
  const r = await fx.run(['sync', src, `b2://${b.name}/`]);
  expectCode(r, 4);
  assert.match(r.stderr, /failed: caf\\xe9\.txt: /);
  assert.doesNotMatch(r.stderr, /deletion\(s\) not done/);
  assert.deepEqual(await names(b), ['good.txt']);
});

test('put of a folder: a name that is not UTF-8 is a failed item named by its bytes, exit 4, the rest uploaded', async () => {
  const src = await folder('put-badutf8');
  await writeFile(join(src, 'good.txt'), 'good');
  await writeFile(rawPath(src, CAFE_LATIN1), 'latin-1 name');
  const b = await bucket();
  const r = await fx.run(['put', src, `b2://${b.name}/up/`]);
  expectCode(r, 4);
  assert.match(r.stderr, /failed: .*caf\\xe9\.txt: file name is not valid UTF-8/);
  assert.match(r.stderr, /1 of 2 items failed/);
  assert.deepEqual(await names(b), ['up/good.txt']);
});

test('a newline or an ANSI escape in a name neither splits a line nor reaches the terminal', async () => {
  const src = await folder('controls');
  await writeFile(join(src, 'ok.txt'), 'ok');
  await writeFile(join(src, 'two\nlines.txt'), 'nl');
  await writeFile(join(src, 'red\x1b[31m.txt'), 'esc');
  const b = await bucket();
  const r = await fx.run(['sync', src, `b2://${b.name}/`], { env: { FORCE_COLOR: '0' } });
  expectCode(r, 4);
  assert.ok(!r.stderr.includes('\x1b'), 'no ESC on stderr');
  const failed = r.stderr.split('\n').filter((l) => l.startsWith('b2sync: failed:'));
  assert.deepEqual(failed.map((l) => l.slice(0, l.indexOf('.txt') + 4)).sort(), [
    'b2sync: failed: red\\x1b[31m.txt',
    'b2sync: failed: two\\nlines.txt',
  ]);
  assert.deepEqual(await names(b), ['ok.txt']);
});

test('ls prints a C1 control, a bidi override and a backslash in a B2 name escaped; --json keeps the name', async () => {
  const b = await bucket();
  const hostile = 'x\u0085y\u202e\\z.txt';
  await client.uploadFile({ bucketId: b.id, fileName: hostile, body: Buffer.from('h'), contentLength: 1 });
  const r = await fx.run(['ls', `b2://${b.name}/`]);
  expectCode(r, 0);
  assert.equal(r.stdout.trim().split(/\s+/)[1], 'x\\u0085y\\u202e\\\\z.txt');
  const j = await fx.json(['ls', `b2://${b.name}/`]);
  assert.equal(j.records[0].name, hostile);
});

/** Names B2 stores that cannot be local paths, beside good ones. */
async function hostileBucket(): Promise<{ name: string; id: string; bad: string[] }> {
  const b = await bucket();
  const bad = ['../escape.txt', 'a/../../escape2.txt', './dot.txt', 'a//b.txt', '/abs.txt', 'trail/', 'f'];
  for (const n of [...bad, 'f/g.txt', 'good.txt', 'd/good2.txt'])
    await client.uploadFile({ bucketId: b.id, fileName: n, body: Buffer.from(`[${n}]`), contentLength: n.length + 2 });
  return { ...b, bad };
}

async function checkDownloaded(base: string, dst: string): Promise<void> {
  assert.deepEqual((await readdir(base)).sort(), ['dst'], 'nothing written beside the destination');
  assert.deepEqual((await readdir(dst, { recursive: true })).sort(), ['d', 'd/good2.txt', 'f', 'f/g.txt', 'good.txt']);
  assert.equal(await readFile(join(dst, 'f', 'g.txt'), 'utf8'), '[f/g.txt]');
}

test('sync down: names that cannot be local paths and a file that is also a folder are named, exit 4; nothing outside; the rest written', async () => {
  const b = await hostileBucket();
  const base = await folder('down');
  const dst = join(base, 'dst');
  const r = await fx.run(['sync', `b2://${b.name}/`, dst]);
  expectCode(r, 4);
  for (const n of b.bad.filter((x) => x !== 'f'))
    assert.ok(r.stderr.includes(`failed: ${n}: download: this B2 name cannot be a local path`), n);
  assert.match(r.stderr, /failed: f: download: this B2 name is both a file and a folder/);
  await checkDownloaded(base, dst);
});

test('get of a prefix: each bad name is a failed item, exit 4; nothing outside; the rest written', async () => {
  const b = await hostileBucket();
  const base = await folder('get');
  const dst = join(base, 'dst');
  const r = await fx.run(['get', `b2://${b.name}/`, dst + '/']);
  expectCode(r, 4);
  for (const n of b.bad.filter((x) => x !== 'f'))
    assert.ok(r.stderr.includes(`failed: b2://${b.name}/${n}: this B2 name cannot be a local path`), n);
  assert.match(r.stderr, /failed: b2:\/\/[^/]+\/f: this B2 name is both a file and a folder/);
  assert.match(r.stderr, /7 of 10 items failed/);
  await checkDownloaded(base, dst);
});

test('a name over 1024 bytes: put and sync up report it and upload the rest (exit 4)', async () => {
  const src = await folder('toolong');
  const deep = join(src, ...Array.from({ length: 5 }, (_, i) => `${i}`.padEnd(220, 'd')));
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'long.txt'), 'long');
  await writeFile(join(src, 'short.txt'), 'short');
  const b = await bucket();
  const s = await fx.run(['sync', src, `b2://${b.name}/s/`]);
  expectCode(s, 4);
  assert.match(s.stderr, /failed: 0d+\/.*long\.txt: upload: .*1024 bytes/);
  const p = await fx.run(['put', src, `b2://${b.name}/p/`]);
  expectCode(p, 4);
  assert.match(p.stderr, /failed: .*long\.txt: .*1024 bytes/);
  assert.deepEqual(await names(b), ['p/short.txt', 's/short.txt']);
});

test('a 250-byte name syncs down and back (its temp name fits the 255-byte limit)', async () => {
  const b = await bucket();
  const name = 'n'.repeat(246) + '.txt';
  await client.uploadFile({ bucketId: b.id, fileName: `dir/${name}`, body: Buffer.from('long'), contentLength: 4 });
  const dst = await folder('longdown');
  expectCode(await fx.run(['sync', `b2://${b.name}/`, dst]), 0);
  assert.equal(await readFile(join(dst, 'dir', name), 'utf8'), 'long');
  expectCode(await fx.run(['get', `b2://${b.name}/dir/${name}`, join(dst, 'again.txt')]), 0);
});
