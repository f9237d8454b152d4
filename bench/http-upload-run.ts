/**
 * One upload (or SHA-1 of the file alone) for bench/http-upload-cpu.ts, in its own process.
 * argv[2]: JSON {op: "upload"|"sha1"|"sha1reuse"|"floor", url?, keyId?, applicationKey?, bucketId?, path}. Prints JSON
 * {cpuMs, ms}: user+sys CPU of the whole process (all threads) for the operation, start-up excluded.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import { once } from 'node:events';
import { B2Client } from '../src/client/b2-client.js';
import { uploadLocalFile } from '../src/transfer/index.js';

const a = JSON.parse(process.argv[2]) as {
  op: 'upload' | 'sha1' | 'sha1reuse' | 'floor';
  /** For 'floor': the port of a discarding TCP server on loopback (another process). */
  sinkPort?: number;
  url: string;
  keyId: string;
  applicationKey: string;
  bucketId: string;
  path: string;
};
let client: B2Client | undefined;
if (a.op === 'upload') {
  client = new B2Client({
    applicationKeyId: a.keyId,
    applicationKey: a.applicationKey,
    endpoint: a.url,
    tokenCache: { kind: 'memory' },
  });
  await client.account();
}
const t0 = performance.now();
const c0 = process.cpuUsage();
if (a.op === 'upload') {
  await uploadLocalFile(client!, { bucketId: a.bucketId, fileName: `u-${process.pid}`, localPath: a.path });
} else if (a.op === 'floor') {
  // The floor of an upload without HTTP: read, hash and write the same bytes to a loopback socket.
  const sock = connect(a.sinkPort!, '127.0.0.1');
  await once(sock, 'connect');
  const h = createHash('sha1');
  for await (const chunk of createReadStream(a.path, { highWaterMark: 1024 * 1024 })) {
    h.update(chunk as Buffer);
    if (!sock.write(chunk as Buffer)) await once(sock, 'drain');
  }
  h.digest('hex');
  sock.end();
  await once(sock, 'close');
} else if (a.op === 'sha1reuse') {
  // SHA-1 alone at its leanest: the file read into one reused 1 MiB buffer (no fresh memory, no GC).
  const h = createHash('sha1');
  const fh = await open(a.path, 'r');
  const buf = Buffer.allocUnsafeSlow(1024 * 1024);
  for (let n; (n = (await fh.read(buf, 0, buf.length, null)).bytesRead) > 0;) h.update(buf.subarray(0, n));
  await fh.close();
  h.digest('hex');
} else {
  const h = createHash('sha1');
  for await (const chunk of createReadStream(a.path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  h.digest('hex');
}
const c = process.cpuUsage(c0);
const ms = performance.now() - t0;
await client?.close();
process.stdout.write(JSON.stringify({ cpuMs: (c.user + c.system) / 1000, ms }) + '\n');
