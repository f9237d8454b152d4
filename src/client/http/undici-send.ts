/**
 * undici behind the seam: an Agent (keep-alive, bounded connections per origin, within the budget it
 * shares with the lean client) and an HttpSend over undici.request, for uploads.
 */
import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { undici } from '../undici-lite.js';
import { flatHeaders, type HttpResponse, type HttpSend, type SendRequest } from './http-send.js';

/** The Agent: `maxConnections` per origin, for calls and downloads alike. */
export function createAgent(maxConnections: number): Agent {
  return new undici.Agent({
    connections: maxConnections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    pipelining: 1,
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  });
}

export class UndiciSend implements HttpSend {
  constructor(private readonly agent: Dispatcher) {}

  async send(req: SendRequest): Promise<HttpResponse> {
    const { method, headers, signal } = req;
    // undici sends an async iterable body (client-h1 writeIterable) though its typings list only streams.
    const body = req.body as string | Buffer | Readable | undefined;
    const res = await undici.request(req.url, { dispatcher: this.agent, method, headers, body, signal });
    return { status: res.statusCode, headers: flatHeaders(res.headers), body: res.body as HttpResponse['body'] };
  }
}

/** Close the Agent's connections; requests still running (an unread body) are cut after `graceMs`. */
export async function closeAgent(agent: Agent, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = agent.close().then(() => true);
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
    timer.unref();
  });
  const done = await Promise.race([graceful, late]);
  clearTimeout(timer);
  if (!done) await agent.destroy();
}
