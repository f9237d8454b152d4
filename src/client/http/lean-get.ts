/**
 * A lean HTTP/1.1 client, the second HttpSend beside undici: download bodies, and B2's JSON calls.
 *
 * Why, for downloads: undici copies every socket read into its parser's memory and Node's stream stack
 * allocates a fresh 64 KiB buffer per read (V8 counts that external memory towards its collection
 * limits); here reads land in pooled 1 MiB chunks the download hands back (lean-conn.ts, lean-body.ts).
 * Measured in docs/performance.md, "HTTP seam: lean GET vs undici". Why, for calls (`copyReads`): a
 * command that only lists or deletes never loads undici (a large share of the start-up CPU:
 * docs/performance.md, "Cold start, third round"), which then serves uploads (request bodies that stream) only.
 *
 * Scope: GET, HEAD and POST with a body given whole, one request per connection at a time,
 * keep-alive (closed before the server's `Keep-Alive: timeout` hint runs out). A body without a
 * length is read until the connection closes. A chunked reply is decoded for calls; for downloads, a
 * chunked success reply fails with kind 'chunked' (the transport then asks again through undici) and
 * a chunked error reply's body is skipped (the status makes the error). Requests in flight per origin
 * count against the ConnectionBudget shared with undici's Agent. Redirects are not followed (B2 does
 * not send them).
 *
 * A request that fails on a kept-alive connection before any byte of its reply (the server closed it
 * as the request went out) is sent once more on a new connection only when repeating it is harmless:
 * a GET or HEAD on a client without copyReads (the downloads' client). A call is never
 * repeated here: it fails as a retryable transport error, as undici's do, and client/retry.ts retries
 * it under B2's rules, logged and counted against --retries.
 */
import { abortReason } from '../../core/abort.js';
import type { ConnectionBudget } from './connection-budget.js';
import type { HttpResponse, HttpSend, SendRequest } from './http-send.js';
import { ChunkPool, type LeanBody } from './lean-body.js';
import { Conn, type ConnOptions, type ConnRequest, type LeanResponse } from './lean-conn.js';
import { LeanGetError } from './lean-get-error.js';

export interface LeanGetOptions extends Partial<ConnOptions> {
  budget: ConnectionBudget;
}

export class LeanGet implements HttpSend {
  private readonly pool = new ChunkPool();
  private readonly opts: ConnOptions;
  private readonly budget: ConnectionBudget;
  private readonly idle = new Map<string, Conn[]>();
  /** The budget slot of the request each busy connection serves. */
  private readonly slots = new Map<Conn, () => void>();
  private closed = false;

  constructor({ budget, ...opts }: LeanGetOptions) {
    this.budget = budget;
    this.opts = { timeoutMs: 300_000, idleTimeoutMs: 30_000, ...opts };
  }

  async send(req: SendRequest): Promise<HttpResponse> {
    const { method, body } = req;
    if (body !== undefined && (method !== 'POST' || !(typeof body === 'string' || Buffer.isBuffer(body))))
      throw new LeanGetError('invalid-request', `${method} with this body: only a POST body given whole`);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const headers = method === 'POST' ? { ...req.headers, 'content-length': String(bytes?.length ?? 0) } : req.headers;
    // Calls are never repeated here: the retry loop (client/retry.ts) does it, logged and counted, as with undici.
    const idempotent = !this.opts.copyReads && method !== 'POST';
    return this.request(method, req.url, headers, { body: bytes, signal: req.signal, idempotent });
  }

  async get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<LeanResponse> {
    return this.request('GET', url, headers, { signal, idempotent: true });
  }

  private async request(
    method: ConnRequest['method'],
    url: string,
    headers: Record<string, string>,
    opts: { body?: Buffer; signal?: AbortSignal; idempotent: boolean },
  ): Promise<LeanResponse> {
    const { signal } = opts;
    for (const [k, v] of Object.entries(headers)) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v))
        throw new LeanGetError('invalid-request', `header ${k} holds a line break`);
    }
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new LeanGetError('invalid-request', `unsupported URL ${u.protocol}`);
    const req: ConnRequest = { method, path: `${u.pathname}${u.search}`, headers: { host: u.host, ...headers } };
    req.body = opts.body;
    for (let attempt = 0; ; attempt++) {
      const { conn, reused } = await this.acquire(u, signal);
      try {
        return await this.exchange(conn, req, signal);
      } catch (err) {
        signal?.throwIfAborted();
        // A kept-alive connection the server had closed: once more on a new one, if that is harmless.
        if (opts.idempotent && reused && conn.failedUnanswered && attempt === 0) continue;
        throw err;
      }
    }
  }

  /**
   * One request on `conn`; an abort fails the request, or the body even when all its bytes have
   * arrived but are unread.
   */
  private async exchange(conn: Conn, req: ConnRequest, signal?: AbortSignal): Promise<LeanResponse> {
    let body: LeanBody | undefined;
    const onAbort = () => {
      // A complete body has given its connection back, perhaps to another request: leave that be.
      if (!body?.complete) conn.abort(abortReason(signal));
      body?.destroy(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await conn.send(req);
      body = res.body;
      res.body.once('close', () => signal?.removeEventListener('abort', onAbort));
      return res;
    } catch (err) {
      signal?.removeEventListener('abort', onAbort);
      throw err;
    }
  }

  /** A slot of the shared budget, then an idle connection to the origin or a new one. */
  private async acquire(u: URL, signal?: AbortSignal): Promise<{ conn: Conn; reused: boolean }> {
    if (this.closed) throw new LeanGetError('closed', 'the client is closed');
    const key = u.origin;
    const release = await this.budget.acquire(key, signal);
    if (this.closed) {
      release();
      throw new LeanGetError('closed', 'the client is closed');
    }
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const c = list.pop() as Conn;
      if (!c.usable) {
        c.destroy();
        continue;
      }
      this.slots.set(c, release);
      return { conn: c, reused: true };
    }
    const c = new Conn(u, this.pool, this.opts);
    c.onFree = (x) => this.release(key, x);
    c.onGone = (x) => this.gone(key, x);
    this.slots.set(c, release);
    return { conn: c, reused: false };
  }

  private freeSlot(c: Conn): void {
    this.slots.get(c)?.();
    this.slots.delete(c);
  }

  private release(key: string, c: Conn): void {
    if (this.closed) {
      c.destroy();
      return;
    }
    const list = this.idle.get(key) ?? [];
    list.push(c);
    this.idle.set(key, list);
    this.freeSlot(c);
  }

  private gone(key: string, c: Conn): void {
    const list = this.idle.get(key);
    const i = list ? list.indexOf(c) : -1;
    if (i >= 0) list!.splice(i, 1);
    this.freeSlot(c);
  }

  /** Close idle connections now and any busy one when its body ends. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const c of list.splice(0)) c.destroy();
  }
}
