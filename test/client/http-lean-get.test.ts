/**
 * The lean GET client (src/client/http/lean-get.ts) against scripted HTTP/1.1 servers on loopback:
 * framing, keep-alive, connection bounds (the budget shared with undici), failures and chunk reuse.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectionBudget } from '../../src/client/http/connection-budget.js';
import { BODY_CHUNK, type LeanBody } from '../../src/client/http/lean-body.js';
import { LeanGet } from '../../src/client/http/lean-get.js';
import { LeanGetError } from '../../src/client/http/lean-get-error.js';
import { Transport } from '../../src/client/transport.js';
import { scripted, type Scripted } from './scripted-server.js';

async function readAll(body: LeanBody, recycle = false): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) {
    parts.push(Buffer.from(c as Buffer));
    if (recycle) body.recycle(c as Buffer);
  }
  return Buffer.concat(parts);
}

const servers: Scripted[] = [];
const clients: LeanGet[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
});
async function setup(
  reply: Parameters<typeof scripted>[0],
  maxConnections = 4,
): Promise<{ s: Scripted; get: LeanGet }> {
  const s = await scripted(reply);
  const get = new LeanGet({ budget: new ConnectionBudget(maxConnections) });
  servers.push(s);
  clients.push(get);
  return { s, get };
}

const ok = (body: Buffer | string, extra = '') => {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${b.length}\r\n${extra}\r\n`), b]);
};

test('keep-alive: requests in turn share one connection; head and body split across many writes', async () => {
  const { s, get } = await setup((socket, _head, n) => {
    const msg = ok(`body number ${n}`, 'X-Bz-File-Name: a%20b\r\nX-Two: 1\r\nx-two: 2\r\n');
    // One byte at a time for the first reply, so the head spans reads.
    if (n === 1) for (let i = 0; i < msg.length; i++) socket.write(msg.subarray(i, i + 1));
    else socket.write(msg);
  });
  for (let i = 1; i <= 3; i++) {
    const r = await get.get(`${s.url}/file/b/x?y=1`, { authorization: 'tok' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-bz-file-name'], 'a%20b');
    assert.equal(r.headers['x-two'], '1, 2');
    assert.equal((await readAll(r.body)).toString(), `body number ${i}`);
  }
  assert.equal(s.connections(), 1);
  assert.match(s.requests[0], /^GET \/file\/b\/x\?y=1 HTTP\/1\.1\r\n/);
  assert.match(s.requests[0], /\r\nauthorization: tok(\r\n|$)/);
  assert.match(s.requests[0], /\r\nhost: 127\.0\.0\.1:\d+/);
});

test('a body without Content-Length is read until the connection closes; an interim 100 reply is skipped', async () => {
  const { s, get } = await setup((socket, _head, n) => {
    if (n === 1) socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
    else socket.write(Buffer.concat([Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), ok('after interim')]));
  });
  const r = await get.get(`${s.url}/a`, {});
  assert.equal((await readAll(r.body)).toString(), 'until the end');
  const r2 = await get.get(`${s.url}/b`, {});
  assert.equal(r2.status, 200);
  assert.equal((await readAll(r2.body)).toString(), 'after interim');
});

test('a chunked success reply is refused with kind chunked (for the transport to fall back); a chunked error reply still gives its status', async () => {
  const { s, get } = await setup((socket, head) => {
    const status = head.includes('/err') ? '503 Service Unavailable' : '200 OK';
    socket.write(`HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
  });
  await assert.rejects(get.get(`${s.url}/ok`, {}), (e: unknown) => e instanceof LeanGetError && e.kind === 'chunked');
  const r = await get.get(`${s.url}/err`, {});
  assert.equal(r.status, 503);
  assert.equal(await r.body.text(), '');
});

test('a kept-alive connection the server closed while idle is replaced without an error', async () => {
  const { s, get } = await setup((socket, _head, n) => {
    socket.write(ok(`reply ${n}`));
    if (n === 1) setTimeout(() => socket.destroy(), 20);
  });
  assert.equal((await readAll((await get.get(`${s.url}/1`, {})).body)).toString(), 'reply 1');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal((await readAll((await get.get(`${s.url}/2`, {})).body)).toString(), 'reply 2');
  assert.equal(s.connections(), 2);
});

test('a body cut short fails its reader with a connection error (retryable in the transport)', async () => {
  const { s, get } = await setup((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this much');
    setTimeout(() => socket.destroy(), 10);
  });
  const r = await get.get(`${s.url}/cut`, {});
  await assert.rejects(readAll(r.body), (e: unknown) => e instanceof LeanGetError && e.kind === 'connection');
});

test('bytes that arrived before a cut are read before the error, even by a reader that comes late', async () => {
  const { s, get } = await setup((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n');
    socket.write(Buffer.alloc(1_500_000, 7), () => socket.destroy());
  });
  const r = await get.get(`${s.url}/cut-late`, {});
  await new Promise((res) => setTimeout(res, 100)); // the cut happens before anyone reads
  let got = 0;
  await assert.rejects(
    (async () => {
      for await (const c of r.body) got += (c as Buffer).length;
    })(),
    (e: unknown) => e instanceof LeanGetError && e.kind === 'connection',
  );
  assert.equal(got, 1_500_000);
});

test('connections per origin are bounded: a second request waits until the first body has arrived', async () => {
  let finishFirst: (() => void) | undefined;
  const { s, get } = await setup((socket, head) => {
    if (head.startsWith('GET /1 ')) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nxxxxx');
      finishFirst = () => socket.write('yyyyy');
    } else {
      socket.write(ok('second'));
    }
  }, 1);
  const first = await get.get(`${s.url}/1`, {});
  let secondDone = false;
  const second = get.get(`${s.url}/2`, {}).then((r) => {
    secondDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(secondDone, false, 'the second request waited');
  assert.equal(s.requests.length, 1);
  finishFirst?.();
  assert.equal((await readAll(first.body)).toString(), 'xxxxxyyyyy');
  assert.equal((await readAll((await second).body)).toString(), 'second');
  assert.equal(s.connections(), 1);
});

test('an abort before the reply fails the request with AbortError', async () => {
  const { s, get } = await setup(() => undefined); // never answers
  const ac = new AbortController();
  const p = get.get(`${s.url}/slow`, {}, ac.signal);
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(p, (e: unknown) => (e as Error).name === 'AbortError');
});

test('body chunks are nearly full BODY_CHUNK buffers (reads land in them), and recycled chunks are reused by the next body', async () => {
  const size = 3 * BODY_CHUNK + 12345;
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7) & 0xff;
  const { s, get } = await setup((socket) => socket.write(ok(data)));
  /** Read the file twice; the number of distinct buffers behind the chunks, and the number of chunks. */
  const distinct = async (recycle: boolean): Promise<[number, number]> => {
    const seen = new Set<ArrayBufferLike>();
    let chunks = 0;
    for (let round = 0; round < 2; round++) {
      const r = await get.get(`${s.url}/big`, {});
      const parts: Buffer[] = [];
      for await (const c of r.body) {
        const b = c as Buffer;
        parts.push(Buffer.from(b));
        seen.add(b.buffer);
        chunks++;
        if (recycle) r.body.recycle(b);
      }
      assert.deepEqual(Buffer.concat(parts), data);
      // A chunk goes out full, or with less than 64 KiB of room left (the next read gets a new one); the last one holds the rest.
      const lengths = parts.map((p) => p.length);
      for (const n of lengths.slice(0, -1))
        assert.ok(n <= BODY_CHUNK && n > BODY_CHUNK - 64 * 1024, `chunk lengths ${lengths}`);
      assert.ok(lengths.length >= 4 && lengths.length <= 5, `chunk lengths ${lengths}`);
    }
    return [seen.size, chunks];
  };
  const [fresh, n] = await distinct(false);
  assert.equal(fresh, n, 'without recycling every chunk is new');
  const [withReuse, m] = await distinct(true);
  assert.ok(withReuse < m, `${withReuse} buffers for ${m} chunks`);
});

test('https: the body arrives over TLS, and the server certificate is verified', async (t) => {
  const { spawnSync, execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const https = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'lean-get-tls-'));
  try {
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    if (made.status !== 0) {
      t.skip('openssl is not available to make a test certificate');
      return;
    }
    const cert = readFileSync(join(dir, 'c.pem'));
    const data = Buffer.alloc(3 * BODY_CHUNK + 5, 9);
    const srv = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert }, (_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const get = new LeanGet({ budget: new ConnectionBudget(1) });
    try {
      // Not trusted: a self-signed certificate is refused.
      await assert.rejects(get.get(`https://localhost:${port}/x`, {}), /self-signed|certificate/);
      // Trusted through Node's extra CA option, in a child process (the option is read at start-up).
      // (Asynchronously: this process's server must keep answering.)
      const child = await promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `
        const { LeanGet } = await import(${JSON.stringify(new URL('../../src/client/http/lean-get.ts', import.meta.url).href)});
        const { ConnectionBudget } = await import(${JSON.stringify(new URL('../../src/client/http/connection-budget.ts', import.meta.url).href)});
        const g = new LeanGet({ budget: new ConnectionBudget(1) });
        let n = 0;
        for (let i = 0; i < 2; i++) { const r = await g.get('https://localhost:${port}/f', {}); for await (const c of r.body) n += c.length; }
        g.close();
        console.log(n);`,
        ],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'c.pem') },
          encoding: 'utf8',
          cwd: new URL('../..', import.meta.url).pathname,
          timeout: 30_000,
        },
      );
      assert.equal(child.stdout.trim(), String(2 * data.length), child.stderr);
    } finally {
      get.close();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the transport asks again through undici when a download reply is chunked', async () => {
  const { s } = await setup((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n');
  });
  const t = new Transport({ maxConnections: 2, userAgent: 'test', secrets: () => [] });
  try {
    const res = await t.stream({
      call: 'b2_download_file_by_name',
      method: 'GET',
      url: `${s.url}/file/b/x`,
      headers: {},
      download: true,
    });
    assert.equal(res.status, 200);
    assert.equal(await res.body.text(), 'hello world');
    assert.equal(s.requests.length, 2, 'asked once by the lean GET, once by undici');
  } finally {
    await t.close();
  }
});

test('an idle kept-alive connection does not keep the process alive', async () => {
  const { s } = await setup((socket) => socket.write(ok('bye')));
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const started = Date.now();
  // A child that downloads once and never closes its client must still exit at once.
  const child = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `
    const { LeanGet } = await import(${JSON.stringify(new URL('../../src/client/http/lean-get.ts', import.meta.url).href)});
        const { ConnectionBudget } = await import(${JSON.stringify(new URL('../../src/client/http/connection-budget.ts', import.meta.url).href)});
    const g = new LeanGet({ budget: new ConnectionBudget(1) });
    const r = await g.get('${s.url}/x', {});
    let t = '';
    for await (const c of r.body) t += c;
    console.log(t);`,
    ],
    { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname, timeout: 20_000 },
  );
  assert.equal(child.stdout.trim(), 'bye');
  assert.ok(Date.now() - started < 15_000, 'exited before the 30 s idle timeout');
});

test('one connection budget: a download body in flight holds back an undici call to the same origin, and the reverse', async () => {
  let finishDownload: (() => void) | undefined;
  let finishCall: (() => void) | undefined;
  const { s } = await setup((socket, head) => {
    if (head.startsWith('GET /download ')) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nxxxxx');
      finishDownload = () => socket.write('yyyyy');
    } else if (head.startsWith('GET /slow ')) {
      finishCall = () => socket.write(ok('{"slow":true}', 'Content-Type: application/json\r\n'));
    } else {
      socket.write(ok('{"ok":true}', 'Content-Type: application/json\r\n'));
    }
  });
  const t = new Transport({ maxConnections: 1, userAgent: 'test', secrets: () => [] });
  const settled = (p: Promise<unknown>) =>
    Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), 60))]);
  try {
    const dl = await t.stream({ call: 'dl', method: 'GET', url: `${s.url}/download`, headers: {}, download: true });
    const call = t.json({ call: 'c', method: 'GET', url: `${s.url}/call`, headers: {} });
    assert.equal(await settled(call), false, 'the call waited for the download body');
    finishDownload?.();
    assert.equal(await dl.body.text(), 'xxxxxyyyyy');
    assert.deepEqual(await call, { ok: true });

    const slow = t.json({ call: 's', method: 'GET', url: `${s.url}/slow`, headers: {} });
    await new Promise((r) => setTimeout(r, 30));
    const dl2 = t.stream({ call: 'dl', method: 'GET', url: `${s.url}/other`, headers: {}, download: true });
    assert.equal(await settled(dl2), false, 'the download waited for the call');
    finishCall?.();
    assert.deepEqual(await slow, { slow: true });
    assert.equal(await (await dl2).body.text(), '{"ok":true}');
  } finally {
    await t.close();
  }
});

test('one connection budget: a response received whole frees its slot even when nobody reads its body', async () => {
  const { s } = await setup((socket) => socket.write(ok('{"ok":true}')));
  const t = new Transport({ maxConnections: 1, userAgent: 'test', secrets: () => [] });
  try {
    // Neither body is read: the undici one and the lean one have both arrived whole.
    await t.stream({ call: 'a', method: 'GET', url: `${s.url}/a`, headers: {} });
    await t.stream({ call: 'b', method: 'GET', url: `${s.url}/b`, headers: {}, download: true });
    assert.deepEqual(await t.json({ call: 'c', method: 'GET', url: `${s.url}/c`, headers: {} }), { ok: true });
  } finally {
    await t.close(200);
  }
});
