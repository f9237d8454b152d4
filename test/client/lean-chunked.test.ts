/**
 * The lean client's chunked replies and cut bodies, over real HTTP on loopback: framing the emulator never
 * produces. First the call client (copyReads, which decodes chunked replies) against hand-written and
 * node:http servers; then B2Client and downloadToFile through a proxy in front of the emulator that
 * re-frames every reply as chunked, or cuts download bodies at chosen bytes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { ConnectionBudget } from '../../src/client/http/connection-budget.js';
import type { LeanBody } from '../../src/client/http/lean-body.js';
import { LeanGet } from '../../src/client/http/lean-get.js';
import { LeanGetError } from '../../src/client/http/lean-get-error.js';
import type { B2Client } from '../../src/client/b2-client.js';
import type { RunningEmulator } from '../../src/emulator/api.js';
import { B2Error } from '../../src/core/errors.js';
import { downloadToFile } from '../../src/transfer/index.js';
import { makeBucket, makeClient, spyDownloads, startTestEmulator, tempDir } from '../transfer/fixture.js';
import { reframingProxy, type ReframingProxy } from './reframing-proxy.js';
import { scripted, type Scripted } from './scripted-server.js';

const servers: { close: () => Promise<void> }[] = [];
const clients: LeanGet[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
});

/** A call client (copyReads, as B2's JSON calls use) and a server answering with `reply`. */
async function setup(reply: Parameters<typeof scripted>[0]): Promise<{ s: Scripted; get: LeanGet }> {
  const s = await scripted(reply);
  const get = new LeanGet({ budget: new ConnectionBudget(4), copyReads: true });
  servers.push(s);
  clients.push(get);
  return { s, get };
}

/** Everything the body yields before it ends or fails, and the failure if any. */
async function drain(body: LeanBody): Promise<{ bytes: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of body) parts.push(Buffer.from(c as Buffer));
    return { bytes: Buffer.concat(parts) };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

/** Write `text` one byte per write, yielding between writes so the reads split everywhere. */
async function byteByByte(socket: import('node:net').Socket, text: string, then?: () => void): Promise<void> {
  const b = Buffer.from(text, 'latin1');
  for (let i = 0; i < b.length && !socket.destroyed; i++) {
    socket.write(b.subarray(i, i + 1));
    await tick();
  }
  then?.();
}

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
const isConnectionError = (e: unknown) => e instanceof LeanGetError && e.kind === 'connection';

describe('the call client decodes chunked replies', () => {
  test('split at every byte: extensions, upper-case and zero-padded sizes, trailers; later bytes never leak into the next reply', async () => {
    const body =
      '5;ext=1\r\nhello\r\n000A\r\n, chunked!\r\n1 \r\n \r\nB;a="b;c"\r\nhello world\r\n0\r\nX-Trailer: t\r\n\r\n';
    const { s, get } = await setup((socket, _head, n) => {
      if (n === 1) void byteByByte(socket, HEAD + body + 'HTTP/1.1 500 Junk\r\n\r\n');
      else socket.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond');
    });
    const r = await get.send({ method: 'GET', url: `${s.url}/a`, headers: {} });
    assert.equal(r.status, 200);
    const got = await drain(r.body as LeanBody);
    assert.equal(got.error, undefined);
    assert.equal(got.bytes.toString(), 'hello, chunked! hello world');
    const r2 = await get.send({ method: 'POST', url: `${s.url}/b`, headers: {}, body: '{}' });
    assert.equal(r2.status, 200);
    assert.equal(await r2.body.text(), 'second');
  });

  test('through node:http: a chunk larger than a read (64 KiB) and hundreds of tiny ones, in order', async () => {
    const big = randomBytes(200_000);
    const tiny = Array.from({ length: 300 }, (_, i) => Buffer.from(String(i % 10).repeat((i % 3) + 1)));
    const srv = http.createServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(big);
      for (const t of tiny) {
        res.write(t);
        await tick();
      }
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push({ close: () => new Promise((r) => (srv.closeAllConnections(), srv.close(() => r()))) });
    const get = new LeanGet({ budget: new ConnectionBudget(4), copyReads: true });
    clients.push(get);
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/x`;
    const r = await get.send({ method: 'GET', url, headers: {} });
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    const got = await drain(r.body as LeanBody);
    assert.equal(got.error, undefined);
    assert.ok(got.bytes.equals(Buffer.concat([big, ...tiny])), `${got.bytes.length} bytes`);
  });

  test('a HEAD reply that says chunked has no body', async () => {
    const { s, get } = await setup((socket) => socket.write(HEAD));
    const r = await get.send({ method: 'HEAD', url: `${s.url}/h`, headers: {} });
    assert.equal(r.status, 200);
    assert.equal(await r.body.text(), '');
  });

  const cuts: [string, string, string][] = [
    ['inside a chunk', '5\r\nhello\r\n6\r\n wor', 'hello wor'],
    ['inside a size line', '5\r\nhello\r\n1', 'hello'],
    ['before the last chunk', '5\r\nhello\r\n', 'hello'],
    ['inside the trailer section', '5\r\nhello\r\n0\r\n', 'hello'],
    ['right after the head', '', ''],
  ];
  for (const [where, sent, data] of cuts) {
    test(`a chunked body cut ${where} fails with a connection error, after the bytes that came`, async () => {
      const { s, get } = await setup((socket) => void byteByByte(socket, HEAD + sent, () => socket.destroy()));
      const r = await get.send({ method: 'GET', url: `${s.url}/cut`, headers: {} });
      const got = await drain(r.body as LeanBody);
      assert.ok(isConnectionError(got.error), String(got.error));
      assert.equal(got.bytes.toString(), data);
    });
  }

  const malformed: [string, string][] = [
    ['a size that is not hex', 'zz\r\nhello\r\n0\r\n\r\n'],
    ['chunk data longer than its size', '3\r\nhello\r\n0\r\n\r\n'],
    ['a size line longer than 8 KiB', `5;${'x'.repeat(9000)}\r\nhello\r\n0\r\n\r\n`],
    ['a size over 12 hex digits', '1000000000000\r\nhello\r\n0\r\n\r\n'],
  ];
  for (const [what, sent] of malformed) {
    test(`a chunked body with ${what} fails with a connection error`, async () => {
      const { s, get } = await setup((socket) => socket.write(HEAD + sent));
      const r = await get.send({ method: 'GET', url: `${s.url}/bad`, headers: {} });
      const got = await drain(r.body as LeanBody);
      assert.ok(isConnectionError(got.error), String(got.error));
      assert.match(String((got.error as Error).message), /bad chunked reply/);
    });
  }
});

describe('B2Client through a re-framing proxy in front of the emulator', () => {
  let emu: RunningEmulator;
  let direct: B2Client;
  let bucket: { bucketId: string; bucketName: string };
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let big: { fileId: string; bytes: Buffer };
  const noParallel = { downloadParallelCutoff: 1e12 };

  before(async () => {
    emu = await startTestEmulator();
    direct = makeClient(emu);
    bucket = await makeBucket(direct, 'reframe');
    tmp = await tempDir();
    const bytes = randomBytes(3_000_000);
    const fv = await direct.uploadFile({
      bucketId: bucket.bucketId,
      fileName: 'big.bin',
      body: bytes,
      contentLength: bytes.length,
    });
    big = { fileId: fv.fileId!, bytes };
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      const b = Buffer.from(name);
      await direct.uploadFile({ bucketId: bucket.bucketId, fileName: name, body: b, contentLength: b.length });
    }
  });
  after(async () => {
    await direct?.close();
    await emu?.close();
    await tmp?.cleanup();
  });

  async function through(
    rules: Parameters<typeof reframingProxy>[1],
  ): Promise<{ proxy: ReframingProxy; client: B2Client }> {
    const proxy = await reframingProxy(emu.url, rules);
    servers.push(proxy);
    const client = makeClient(emu, { endpoint: proxy.url });
    return { proxy, client };
  }

  test('every reply chunked: calls and paged listings decode; a chunked download is refused for lacking Content-Length', async () => {
    const { proxy, client } = await through({ chunked: true });
    try {
      const names: string[] = [];
      for await (const fv of client.listFileNames(bucket.bucketId, { pageSize: 2 })) names.push(fv.fileName);
      assert.deepEqual(names, ['a.txt', 'b.txt', 'big.bin', 'c.txt']);
      const info = await client.getFileInfo(big.fileId);
      assert.equal(info.contentLength, big.bytes.length);
      // Downloads need the length up front (temp file, ranges, progress): B2 always sends it. The lean
      // client refuses the chunked reply, undici asks again, and the headers are refused.
      const target = join(tmp.dir, 'chunked.bin');
      await assert.rejects(
        downloadToFile(client, { source: { fileId: big.fileId }, localPath: target, tuning: noParallel }),
        (e: unknown) => e instanceof B2Error && e.code === 'bad_response' && /lacks Content-Length/.test(e.message),
      );
      await assert.rejects(stat(target), /ENOENT/);
      assert.equal(proxy.downloads.length, 2, JSON.stringify(proxy.downloads));
    } finally {
      await client.close();
    }
  });

  test('a download body cut twice is resumed from the exact bytes it reached', async () => {
    const first = 1_048_576 + 17; // past the first pooled 1 MiB chunk
    const second = 500_001;
    const { proxy, client } = await through({
      chunked: false,
      cutDownload: (n) => (n === 1 ? first : n === 2 ? second : undefined),
    });
    try {
      const spy = spyDownloads(client);
      const target = join(tmp.dir, 'cut.bin');
      const r = await downloadToFile(spy.client, {
        source: { fileId: big.fileId },
        localPath: target,
        tuning: noParallel,
      });
      assert.equal(r.sha1Verified, true);
      assert.ok((await readFile(target)).equals(big.bytes));
      const starts = spy.ranges.map((x) => x?.start ?? 0);
      assert.deepEqual(starts, [0, first, first + second], JSON.stringify(spy.ranges));
      assert.deepEqual(
        proxy.downloads.slice(1).map((d) => d.range),
        [`bytes=${first}-${big.bytes.length - 1}`, `bytes=${first + second}-${big.bytes.length - 1}`],
      );
    } finally {
      await client.close();
    }
  });
});
