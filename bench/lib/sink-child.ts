/**
 * Reference point for the emulator benchmark: the least a B2-like server on Node can do on this machine.
 * POST: reads the body, hashing it with SHA-1 (as any faithful B2 server must), answers {"contentSha1"}.
 * GET: streams the file named in argv[2]. Prints {"url"} once listening; exits on SIGTERM or stdin end.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const file = process.argv[2] ?? '';
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    const h = createHash('sha1');
    let n = 0;
    req.on('data', (c: Buffer) => {
      h.update(c);
      n += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ contentLength: n, contentSha1: h.digest('hex') }));
    });
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size });
  createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }) + '\n');
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.resume();
process.stdin.on('end', stop);
