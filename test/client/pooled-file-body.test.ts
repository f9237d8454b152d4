/**
 * client/pooled-file-body.ts: a file range read into two reused buffers. The bytes and SHA-1 at every
 * size around the buffer size, that the buffers are reused, errors as sourceError(), and over HTTP:
 * undici through a slowly reading server (so socket writes are queued) and uploads to the emulator.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha1Hex } from '../../src/core/sha1.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import type { B2Client } from '../../src/client/b2-client.js';
import { pooledFileBody, POOLED_CHUNK, type FileRangeSource } from '../../src/client/pooled-file-body.js';
import { undici } from '../../src/client/undici-lite.js';
import { bucketName, calls, makeClient, startTestEmulator } from './fixture.js';

const C = POOLED_CHUNK;
let dir: string;
let file: string;
let bytes: Buffer;
let emu: RunningEmulator;
let c: B2Client;
let bucketId: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b2sync-pooled-'));
  file = join(dir, 'data.bin');
  bytes = randomBytes(5 * C + 12345);
  await writeFile(file, bytes);
  emu = await startTestEmulator();
  c = makeClient(emu);
  bucketId = (await c.createBucket({ bucketName: bucketName('pool'), bucketType: 'allPrivate' })).bucketId;
});
after(async () => {
  await c?.close();
  await emu?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Take every chunk (copied: the buffers are reused) and the distinct ArrayBuffers they came in. */
async function takeAll(chunks: AsyncIterable<Buffer>): Promise<{ sent: Buffer; arrays: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const arrays = new Set<ArrayBufferLike>();
  for await (const chunk of chunks) {
    if (chunk.length > 40) arrays.add(chunk.buffer);
    parts.push(Buffer.from(chunk));
  }
  return { sent: Buffer.concat(parts), arrays };
}

for (const [start, length] of [
  [0, 0],
  [0, 1],
  [7, C - 1],
  [0, C],
  [3, C + 1],
  [C - 5, 2 * C + 10],
  [100, 4 * C + 999],
]) {
  test(`range of ${length} bytes from ${start}: the bytes, then the SHA-1 in hex; progress to the end`, async () => {
    const want = bytes.subarray(start, start + length);
    const progress: number[] = [];
    const b = pooledFileBody({ path: file, start, length }, true, (n) => progress.push(n));
    const { sent, arrays } = await takeAll(b.chunks);
    assert.equal(sent.length, length + 40);
    assert.ok(sent.subarray(0, length).equals(want), 'the bytes of the range');
    assert.equal(sent.subarray(length).toString('latin1'), sha1Hex(want));
    assert.equal(b.sha1(), sha1Hex(want));
    assert.equal(progress[0], 0);
    assert.equal(progress.at(-1), length);
    assert.ok(arrays.size <= 2, `at most two buffers for the whole range, saw ${arrays.size}`);
    assert.equal(b.sourceError(), undefined);
  });
}

test('without appendSha1 only the bytes are sent', async () => {
  const b = pooledFileBody({ path: file, start: 0, length: 2 * C + 3 }, false);
  const { sent } = await takeAll(b.chunks);
  assert.ok(sent.equals(bytes.subarray(0, 2 * C + 3)));
});

test('a file that cannot be opened, or is shorter than the range, fails as sourceError()', async () => {
  const missing = pooledFileBody({ path: join(dir, 'missing'), start: 0, length: 10 }, true);
  await assert.rejects(takeAll(missing.chunks), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  assert.equal((missing.sourceError() as NodeJS.ErrnoException).code, 'ENOENT');
  const short = pooledFileBody({ path: file, start: bytes.length - C, length: C + 1 }, true);
  const shortBy = new RegExp(`expected ${C + 1} bytes`);
  await assert.rejects(takeAll(short.chunks), shortBy);
  assert.match(String(short.sourceError()), shortBy);
});

test('the check runs once opened and after the last read, before the last chunk is handed out', async () => {
  let checks = 0;
  const src: FileRangeSource = {
    path: file,
    start: 0,
    length: 3 * C,
    check: async () => {
      if (++checks === 2) throw new Error('changed');
    },
  };
  const b = pooledFileBody(src, true);
  let got = 0;
  await assert.rejects(
    (async () => {
      for await (const chunk of b.chunks) got += chunk.length;
    })(),
    /changed/,
  );
  assert.equal(checks, 2);
  assert.equal(got, 2 * C, 'the last chunk was never handed out');
  assert.match(String(b.sourceError()), /changed/);
});

test('dispose ends the chunks early (and before the first, opens nothing)', async () => {
  const b = pooledFileBody({ path: file, start: 0, length: 4 * C }, true);
  const it = b.chunks[Symbol.asyncIterator]();
  assert.equal((await it.next()).value.length, C);
  b.dispose();
  assert.equal((await it.next()).done, true);
  const never = pooledFileBody({ path: join(dir, 'missing'), start: 0, length: 10 }, true);
  never.dispose();
  assert.equal((await never.chunks[Symbol.asyncIterator]().next()).done, true);
  assert.equal(never.sourceError(), undefined);
});

test('through undici to a server that reads slowly (queued socket writes), every byte arrives intact', async () => {
  const length = 5 * C + 12345;
  const server = createServer((req, res) => {
    const h = createHash('sha1');
    let n = 0;
    req.on('data', (chunk: Buffer) => {
      h.update(chunk);
      n += chunk.length;
      req.pause(); // let the client's socket fill up while its next read is ahead
      void sleep(2).then(() => req.resume());
    });
    req.on('end', () => res.end(JSON.stringify({ n, sha1: h.digest('hex') })));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const agent = new undici.Agent();
  try {
    const b = pooledFileBody({ path: file, start: 0, length }, false);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const res = await undici.request(url, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-length': String(length) },
      body: b.chunks as unknown as Buffer,
    });
    const got = (await res.body.json()) as { n: number; sha1: string };
    assert.deepEqual(got, { n: length, sha1: sha1Hex(bytes.subarray(0, length)) });
  } finally {
    await agent.close();
    server.close();
  }
});

test('uploads of file ranges to the emulator: SHA-1 verified by it, a dropped connection re-read', async () => {
  for (const [start, length] of [
    [0, 1],
    [1, C + 1],
    [5, 3 * C],
  ]) {
    const f = await c.uploadFile({
      bucketId,
      fileName: `r-${length}`,
      body: { path: file, start, length },
      contentLength: length,
    });
    assert.equal(f.contentSha1, sha1Hex(bytes.subarray(start, start + length)));
  }
  emu.controls.resetCounters();
  emu.controls.injectFault({ call: 'b2_upload_file', kind: 'drop' });
  const f = await c.uploadFile({
    bucketId,
    fileName: 'dropped',
    body: { path: file, start: 0, length: 4 * C },
    contentLength: 4 * C,
  });
  assert.equal(f.contentSha1, sha1Hex(bytes.subarray(0, 4 * C)));
  assert.equal(calls(emu, 'b2_upload_file'), 2);
});

test('an upload whose file range cannot be read fails at once with the file error, no retry', async () => {
  emu.controls.resetCounters();
  await assert.rejects(
    c.uploadFile({
      bucketId,
      fileName: 'gone',
      body: { path: join(dir, 'missing'), start: 0, length: 10 },
      contentLength: 10,
    }),
    (e) => (e as NodeJS.ErrnoException).code === 'ENOENT',
  );
  assert.ok(calls(emu, 'b2_upload_file') <= 1);
});
