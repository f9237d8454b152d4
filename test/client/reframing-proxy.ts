/**
 * A node:http proxy on loopback in front of the emulator that re-frames its replies the way the emulator
 * never does: chunked transfer coding written in pieces of many sizes, and download bodies cut after a
 * chosen byte. The emulator builds its URLs from the Host header, which the proxy passes on, so a client
 * pointed at the proxy keeps talking through it (calls and downloads alike).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';

export interface ReframeRules {
  /** Send every reply with a body as Transfer-Encoding: chunked. */
  chunked: boolean;
  /** For the n-th download request (1-based, counted across all): send only this many body bytes, then close. */
  cutDownload?: (n: number) => number | undefined;
}

export interface ReframingProxy {
  url: string;
  /** Download requests seen (GET /file/... and b2_download_file_by_id), in order, with their Range header. */
  downloads: { path: string; range?: string }[];
  close: () => Promise<void>;
}

/** Piece sizes the chunked bodies are written in, in turn: tiny, odd, and larger than a 64 KiB read. */
const PIECES = [1, 3, 100, 7_001, 70_000, 250_000];

async function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function forward(upstream: URL, req: http.IncomingMessage, body: Buffer): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      resolve,
    );
    up.on('error', reject);
    up.end(body);
  });
}

/** Write `body` as pieces of PIECES' sizes (each its own chunk), yielding to the event loop in between. */
async function writePieces(res: http.ServerResponse, body: Buffer): Promise<void> {
  for (let at = 0, i = 0; at < body.length && !res.destroyed; i++) {
    const n = PIECES[i % PIECES.length];
    await new Promise<void>((r) => res.write(body.subarray(at, at + n), () => r()));
    at += n;
    await tick();
  }
}

export async function reframingProxy(upstream: string, rules: ReframeRules): Promise<ReframingProxy> {
  const target = new URL(upstream);
  const downloads: ReframingProxy['downloads'] = [];
  const server = http.createServer(async (req, res) => {
    res.on('error', () => undefined);
    try {
      const upRes = await forward(target, req, await readBody(req));
      const body = await readBody(upRes);
      const isDownload = req.method === 'GET' && /^\/file\/|b2_download_file_by_id/.test(req.url ?? '');
      if (isDownload) downloads.push({ path: req.url!, range: req.headers.range });
      const cut = isDownload ? rules.cutDownload?.(downloads.length) : undefined;
      const headers = { ...upRes.headers };
      delete headers['content-length'];
      delete headers['transfer-encoding'];
      delete headers.connection;
      if (!rules.chunked) headers['content-length'] = String(body.length);
      res.writeHead(upRes.statusCode ?? 502, headers);
      res.flushHeaders();
      const sent = cut === undefined ? body : body.subarray(0, cut);
      if (rules.chunked) await writePieces(res, sent);
      else await new Promise<void>((r) => res.write(sent, () => r()));
      if (cut !== undefined) res.socket?.destroy();
      else res.end();
    } catch {
      res.socket?.destroy();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    downloads,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
