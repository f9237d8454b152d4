/**
 * A lean HTTP/1.1 GET client for download bodies, over net/tls sockets whose reads land straight in
 * pooled body chunks (the sockets' `onread` option with a buffer function).
 *
 * Why not undici for downloads: every socket read through Node's stream stack allocates a fresh
 * 64 KiB ArrayBuffer, and V8 counts that external memory towards its collection limits, so a 1 GiB
 * download ran ~40 full garbage collections, and undici's parser and stream layers cost ~1 s of CPU per
 * GiB on top (docs/performance.md, "Transfers"). Here the socket reads into the free end of a 1 MiB
 * body chunk taken from a small pool (no copy, except body bytes that share a read with the response
 * head, which move to the chunk's start); a chunk goes to the consumer when full or when the body
 * ends, and a consumer that is done with it hands it back (RawBody.recycle), so a download allocates
 * almost nothing per byte.
 *
 * Scope: GET (downloads) only, one request per connection at a time, keep-alive, responses framed by
 * Content-Length (B2's downloads and error replies always are). A body without a length is read
 * until the connection closes; a chunked success reply fails with code CHUNKED (the transport then
 * asks again through undici); a chunked error reply's body is skipped (the status makes the error). Connections per origin are bounded like the undici
 * Agent's. Redirects are not followed (B2 does not send them).
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { abortReason } from '../core/abort.js';

/** Error code of a success reply in chunked encoding: the caller may ask again through a general client. */
export const CHUNKED = 'B2SYNC_CHUNKED_REPLY';

/** A chunk with less free room than this goes to the consumer before the next read (reads stay big). */
const MIN_READ = 64 * 1024;
/** Size of the body chunks handed to the consumer. */
export const BODY_CHUNK = 1024 * 1024;
/** Chunks kept for reuse across bodies. */
const POOL_MAX = 16;
const MAX_HEAD = 64 * 1024;

export interface RawGetOptions {
  maxConnections: number;
  /** No response bytes for this long: the request fails (retryable). */
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: RawBody;
}

/** A failure of the connection, shaped like undici's socket errors so the transport maps it the same way. */
function socketError(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause !== undefined ? { cause } : undefined), { code: 'UND_ERR_SOCKET' });
}

class ChunkPool {
  private readonly free: Buffer[] = [];
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(BODY_CHUNK);
  }
  give(buf: Buffer): void {
    if (this.free.length < POOL_MAX && buf.byteOffset === 0 && buf.buffer.byteLength === BODY_CHUNK) {
      this.free.push(Buffer.from(buf.buffer, 0, BODY_CHUNK));
    }
  }
}

/**
 * A response body: a Readable of Buffers of up to BODY_CHUNK bytes. Chunks stay valid until given
 * back with recycle(); a consumer that never recycles simply lets them be collected.
 */
export class RawBody extends Readable {
  /** Body bytes still to come (Infinity: until the connection closes). */
  remaining: number;
  private ended = false;

  constructor(
    private readonly pool: ChunkPool,
    private readonly conn: Conn,
    length: number,
  ) {
    // Object mode: read() hands out one chunk as pushed; in byte mode a reader such as `for await`
    // gets everything buffered concatenated into a new buffer (a copy, and no chunk to recycle).
    super({ objectMode: true, highWaterMark: 2 });
    this.remaining = length;
  }

  /** Give back a chunk this body produced once its bytes are no longer needed. */
  recycle(buf: Buffer): void {
    this.pool.give(buf);
  }

  /** Hand a filled chunk to the reader (pausing the socket when the reader is behind). */
  deliver(chunk: Buffer): void {
    if (!this.push(chunk)) this.conn.pause();
  }

  /** The body is complete (its length reached, or the connection closed on a length-less body). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
    this.conn.bodyDone(this);
  }

  get complete(): boolean {
    return this.ended;
  }

  /**
   * The connection failed mid-body: hand on the bytes that arrived, then the error, so a reader keeps
   * what it got (a download continues from there with a Range request) and still learns of the cut.
   */
  fail(err: Error): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    // 'error' without destroy() keeps the queued chunks readable (for-await reads them first). With
    // nothing queued there is nothing to keep; with no reader yet, the error waits for one.
    if (this.readableLength === 0) this.destroy(err);
    else if (this.listenerCount('error') > 0) this.emit('error', err);
    else {
      const onListener = (event: string | symbol) => {
        if (event !== 'error') return;
        this.off('newListener', onListener);
        process.nextTick(() => {
          if (!this.destroyed) this.emit('error', err);
        });
      };
      this.on('newListener', onListener);
    }
  }

  override _read(): void {
    this.conn.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.ended) this.conn.abandon(this);
    cb(err);
  }

  /** The whole body as text (error replies). */
  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of this) parts.push(Buffer.from(c as Buffer));
    return Buffer.concat(parts).toString('utf8');
  }

  /** Discard the body. */
  async dump(): Promise<void> {
    this.destroy();
  }
}

interface Pending {
  resolve(r: RawResponse): void;
  reject(e: Error): void;
}

/** One connection: a socket, its reused read buffer, and the request it is serving. */
class Conn {
  readonly socket: net.Socket;
  private head: Buffer[] = [];
  private headBytes = 0;
  private pending: Pending | undefined;
  private body: RawBody | undefined;
  private keepAlive = true;
  private gotBytes = false;
  /** The chunk socket reads land in; its first `fill` bytes are body bytes not yet delivered. */
  private chunk: Buffer | undefined;
  private fill = 0;
  dead = false;
  onFree: (c: Conn) => void = () => undefined;
  onGone: (c: Conn) => void = () => undefined;

  constructor(
    url: URL,
    private readonly pool: ChunkPool,
    private readonly opts: Required<RawGetOptions>,
  ) {
    const onread: net.OnReadOpts = {
      // Called before the first read and after each one: where the next read lands.
      buffer: () => this.readInto(),
      callback: (n: number, buf: Uint8Array) => {
        this.onData(buf as Buffer, n);
        return true;
      },
    };
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    this.socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions)
        : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', (e) => this.fail(socketError(`connection to ${url.host} failed: ${e.message}`, e)));
    this.socket.on('close', () => this.fail(socketError(`connection to ${url.host} closed`)));
    this.socket.on('timeout', () => {
      if (this.pending || this.body) this.fail(socketError(`no data from ${url.host} for ${Math.round(this.opts.timeoutMs / 1000)} s`));
      else this.socket.destroy();
    });
    this.socket.setTimeout(this.opts.timeoutMs);
  }

  /** Send a GET; resolves with the status and headers once they have arrived. */
  send(path: string, headers: Record<string, string>): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.head = [];
      this.headBytes = 0;
      this.gotBytes = false;
      this.socket.setTimeout(this.opts.timeoutMs);
      let text = `GET ${path} HTTP/1.1\r\n`;
      for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
      this.socket.write(`${text}\r\n`);
    });
  }

  /** A reused connection that failed before any byte of its reply: the request may go again elsewhere. */
  get failedUnanswered(): boolean {
    return !this.gotBytes;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.dead) this.socket.resume();
  }

  /** The free end of the current chunk (a new chunk when the current one is nearly full). */
  private readInto(): Buffer {
    if (this.chunk && BODY_CHUNK - this.fill < MIN_READ) this.deliver();
    this.chunk ??= this.pool.take();
    return this.chunk.subarray(this.fill);
  }

  /** Hand the chunk's body bytes to `body`; the next read takes a new chunk. */
  private deliver(body = this.body): void {
    const chunk = this.chunk;
    if (!chunk || this.fill === 0) return;
    this.chunk = undefined;
    const out = this.fill === BODY_CHUNK ? chunk : chunk.subarray(0, this.fill);
    this.fill = 0;
    if (body) body.deliver(out);
    else this.pool.give(chunk);
  }

  /** `n` bytes were read into `buf` (the free end of the current chunk). */
  private onData(buf: Buffer, n: number): void {
    this.gotBytes = true;
    let at = 0;
    if (this.pending) {
      at = this.onHead(buf, n);
      if (at < 0) return;
    }
    const body = this.body;
    if (!body) {
      if (at < n) this.destroy(); // bytes nobody asked for
      return;
    }
    const take = Math.min(n - at, body.remaining);
    // Body bytes behind the response head move to where the chunk's body bytes go.
    if (at > 0 && take > 0) buf.copyWithin(0, at, at + take);
    this.fill += take;
    body.remaining -= take;
    if (this.fill === BODY_CHUNK) this.deliver();
    if (body.remaining === 0) {
      this.deliver();
      body.finish();
    }
  }

  /** Collect the status line and headers; returns where the body starts in buf, or -1 (need more). */
  private onHead(buf: Buffer, n: number): number {
    const prev = this.headBytes;
    this.head.push(Buffer.from(buf.subarray(0, n)));
    this.headBytes += n;
    const all = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head, this.headBytes);
    const end = all.indexOf('\r\n\r\n', Math.max(0, prev - 3));
    if (end < 0) {
      if (this.headBytes > MAX_HEAD) this.fail(socketError('response headers too large'));
      return -1;
    }
    const lines = all.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) {
      this.fail(socketError('not an HTTP/1.1 response'));
      return -1;
    }
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(':');
      if (c <= 0) continue;
      const k = lines[i].slice(0, c).trim().toLowerCase();
      const v = lines[i].slice(c + 1).trim();
      headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
    }
    // Where the body starts in this read's buffer (the terminator was searched from prev - 3, so it
    // ends inside this read).
    const bodyStart = end + 4 - prev;
    if (status >= 100 && status < 200) {
      // An interim reply: drop it and read the real one from what follows.
      this.head = [];
      this.headBytes = 0;
      if (bodyStart >= n) return -1;
      const r = this.onHead(buf.subarray(bodyStart, n), n - bodyStart);
      return r < 0 ? -1 : bodyStart + r;
    }
    if (/\bclose\b/i.test(headers.connection ?? '')) this.keepAlive = false;
    const pending = this.pending as Pending;
    this.pending = undefined;
    let length: number;
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      this.keepAlive = false;
      if (status < 300) {
        pending.reject(Object.assign(new Error('a chunked download reply (this client reads Content-Length bodies only)'), { code: CHUNKED }));
        this.destroy();
        return -1;
      }
      length = 0; // the status makes the error; the chunked body is not read
    } else if (headers['content-length'] !== undefined && /^\d+$/.test(headers['content-length'])) {
      length = Number(headers['content-length']);
    } else {
      this.keepAlive = false;
      length = Infinity;
    }
    const body = new RawBody(this.pool, this, length);
    this.body = body;
    pending.resolve({ status, headers, body });
    if (length === 0) body.finish();
    return bodyStart;
  }

  /** Called by the body when it is complete: the connection is free again (or closed). */
  bodyDone(body: RawBody): void {
    if (this.body !== body) return;
    this.body = undefined;
    if (this.keepAlive && !this.dead) {
      this.socket.resume();
      this.socket.setTimeout(this.opts.idleTimeoutMs);
      this.socket.unref(); // an idle connection does not keep the process alive
      this.onFree(this);
    } else {
      this.destroy();
    }
  }

  /** The consumer dropped an unfinished body: the connection cannot be reused. */
  abandon(body: RawBody): void {
    if (this.body === body) {
      this.body = undefined;
      this.destroy();
    }
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    const pending = this.pending;
    const body = this.body;
    this.pending = undefined;
    this.body = undefined;
    this.socket.destroy();
    if (pending) pending.reject(err);
    // The bytes that arrived go to the reader before the end or the error.
    this.deliver(body);
    if (this.chunk) this.pool.give(this.chunk);
    this.chunk = undefined;
    this.fill = 0;
    if (body) {
      if (body.remaining === Infinity) body.finish();
      else body.fail(err);
    }
    this.onGone(this);
  }

  destroy(): void {
    this.fail(socketError('connection closed'));
  }

  /** The caller's signal fired: the request and its body fail with `reason`. */
  abort(reason: Error): void {
    this.fail(reason);
  }
}

/** GET requests over pooled connections, per origin, bounded. */
export class RawGet {
  private readonly pool = new ChunkPool();
  private readonly opts: Required<RawGetOptions>;
  private readonly idle = new Map<string, Conn[]>();
  private readonly open = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private closed = false;

  constructor(opts: RawGetOptions) {
    this.opts = { timeoutMs: 300_000, idleTimeoutMs: 30_000, ...opts };
  }

  async get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<RawResponse> {
    for (const [k, v] of Object.entries(headers)) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw Object.assign(new Error(`header ${k} holds a line break`), { code: 'UND_ERR_INVALID_ARG' });
    }
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw Object.assign(new Error(`unsupported URL ${u.protocol}`), { code: 'UND_ERR_INVALID_ARG' });
    const all = { host: u.host, ...headers };
    const path = `${u.pathname}${u.search}`;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const { conn, reused } = await this.acquire(u, signal);
      let body: RawBody | undefined;
      // An abort fails the request, or the body even when all its bytes have arrived but are unread.
      const onAbort = () => {
        // A complete body has given its connection back, perhaps to another request: leave that be.
        if (!body?.complete) conn.abort(abortReason(signal));
        body?.destroy(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await conn.send(path, all);
        body = res.body;
        res.body.once('close', () => signal?.removeEventListener('abort', onAbort));
        return res;
      } catch (err) {
        signal?.removeEventListener('abort', onAbort);
        signal?.throwIfAborted();
        // A kept-alive connection the server had closed: try once more on a new one.
        if (reused && conn.failedUnanswered && attempt === 0) continue;
        throw err;
      }
    }
  }

  private async acquire(u: URL, signal?: AbortSignal): Promise<{ conn: Conn; reused: boolean }> {
    const key = u.origin;
    for (;;) {
      if (this.closed) throw socketError('the client is closed');
      const list = this.idle.get(key);
      while (list && list.length > 0) {
        const c = list.pop() as Conn;
        if (!c.dead) {
          c.socket.ref();
          c.socket.setTimeout(this.opts.timeoutMs);
          return { conn: c, reused: true };
        }
      }
      const n = this.open.get(key) ?? 0;
      if (n < this.opts.maxConnections) {
        this.open.set(key, n + 1);
        const c = new Conn(u, this.pool, this.opts);
        c.onFree = (x) => this.release(key, x);
        c.onGone = (x) => this.gone(key, x);
        return { conn: c, reused: false };
      }
      await new Promise<void>((resolve, reject) => {
        const q = this.waiters.get(key) ?? [];
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = q.indexOf(wake);
          if (i >= 0) q.splice(i, 1);
          reject(signal?.reason);
        };
        q.push(wake);
        this.waiters.set(key, q);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  private wakeOne(key: string): void {
    this.waiters.get(key)?.shift()?.();
  }

  private release(key: string, c: Conn): void {
    if (this.closed) {
      c.destroy();
      return;
    }
    const list = this.idle.get(key) ?? [];
    list.push(c);
    this.idle.set(key, list);
    this.wakeOne(key);
  }

  private gone(key: string, c: Conn): void {
    this.open.set(key, Math.max(0, (this.open.get(key) ?? 1) - 1));
    const list = this.idle.get(key);
    if (list) {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
    }
    this.wakeOne(key);
  }

  /** Close idle connections now and any busy one when its body ends. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const c of list.splice(0)) c.destroy();
    for (const q of this.waiters.values()) for (const w of q.splice(0)) w();
  }
}
