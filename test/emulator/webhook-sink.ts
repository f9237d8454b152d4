/** A loopback HTTP server that records webhook POSTs (raw body and headers) for notification tests. */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: any;
}

export interface Sink {
  url: string;
  received: Received[];
  /** Status to answer with (default 200). */
  status: number;
  /** Resolves once at least n POSTs arrived (fails the test after 5 s). */
  waitFor(n: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const received: Received[] = [];
  let wake: (() => void) | undefined;
  const sink: Sink = {
    url: '',
    received,
    status: 200,
    async waitFor(n) {
      const deadline = Date.now() + 5_000;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} webhook POSTs, got ${received.length}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      return received;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      received.push({ headers: req.headers, raw, body });
      res.writeHead(sink.status).end();
      wake?.();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return sink;
}
