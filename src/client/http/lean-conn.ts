/**
 * One connection of the lean client: a net/tls socket whose reads land straight in the free end of a
 * pooled 1 MiB body chunk (the socket's `onread` option with a buffer function), and the request it is
 * serving. A download's body bytes stay in the chunks (those that share a read with the response head
 * are the only ones moved); a call's are copied out at each read, as they arrive (copyReads), and may
 * be chunked.
 */
import net from 'node:net';
import tls from 'node:tls';
import { BODY_CHUNK, LeanBody, type BodySource, type ChunkPool } from './lean-body.js';
import { LeanGetError } from './lean-get-error.js';
import { ChunkedDecoder } from './lean-chunked.js';
import { framing, keepAliveHint, parseHead, requestHead } from './lean-head.js';

/** A chunk with less free room than this goes to the consumer before the next read (reads stay big). */
const MIN_READ = 64 * 1024;
const MAX_HEAD = 64 * 1024;
/** Taken off a server's keep-alive hint, so that an idle connection is closed before the server closes it. */
const HINT_MARGIN_MS = 1000;

export interface ConnOptions {
  /** No response bytes for this long: the request fails (retryable). */
  timeoutMs: number;
  idleTimeoutMs: number;
  /**
   * A client for calls: reads land in a 64 KiB buffer of the connection's own, each read's body bytes
   * are copied out as they arrive, and a chunked reply is decoded. Otherwise (downloads) reads land in
   * pooled 1 MiB chunks handed to the reader, and a chunked success reply is refused.
   */
  copyReads?: boolean;
}

/** A call connection's read buffer. */
const CALL_READ = 64 * 1024;

export interface LeanResponse {
  status: number;
  headers: Record<string, string>;
  body: LeanBody;
}

export interface ConnRequest {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Pending {
  resolve(r: LeanResponse): void;
  reject(e: Error): void;
}

const connectionError = (message: string, cause?: unknown) =>
  new LeanGetError('connection', message, cause !== undefined ? { cause } : undefined);

function connect(url: URL, onread: net.OnReadOpts): net.Socket {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'https:') return net.connect({ host, port, onread });
  const servername = net.isIP(host) ? undefined : host;
  return tls.connect({ host, port, servername, ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions);
}

export class Conn implements BodySource {
  readonly socket: net.Socket;
  private head: Buffer[] = [];
  private headBytes = 0;
  private pending: Pending | undefined;
  private body: LeanBody | undefined;
  private keepAlive = true;
  private idleMs: number;
  private gotBytes = false;
  private method = 'GET';
  private readonly copyReads: boolean;
  /** The current body is chunked (only with copyReads). */
  private decoder: ChunkedDecoder | undefined;
  /** The chunk socket reads land in; its first `fill` bytes are body bytes not yet delivered. */
  private chunk: Buffer | undefined;
  private fill = 0;
  dead = false;
  /** The connection is free for another request. */
  onFree: (c: Conn) => void = () => undefined;
  /** The connection is closed (after a request or idle). */
  onGone: (c: Conn) => void = () => undefined;

  constructor(
    url: URL,
    private readonly pool: ChunkPool,
    private readonly opts: ConnOptions,
  ) {
    this.idleMs = opts.idleTimeoutMs;
    this.copyReads = opts.copyReads ?? false;
    this.socket = connect(url, {
      // Called before the first read and after each one: where the next read lands.
      buffer: () => this.readInto(),
      callback: (n: number, buf: Uint8Array) => {
        this.onData(buf as Buffer, n);
        return true;
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (e) => this.fail(connectionError(`connection to ${url.host} failed: ${e.message}`, e)));
    this.socket.on('close', () => this.fail(connectionError(`connection to ${url.host} closed`)));
    this.socket.on('timeout', () => {
      const s = Math.round(this.opts.timeoutMs / 1000);
      if (this.pending || this.body) this.fail(connectionError(`no data from ${url.host} for ${s} s`));
      else this.socket.destroy();
    });
    this.socket.setTimeout(this.opts.timeoutMs);
  }

  /** Send a request; resolves with the status and headers once they have arrived. */
  send(req: ConnRequest): Promise<LeanResponse> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.head = [];
      this.headBytes = 0;
      this.gotBytes = false;
      this.method = req.method;
      this.decoder = undefined;
      this.socket.ref();
      this.socket.setTimeout(this.opts.timeoutMs);
      this.socket.cork();
      this.socket.write(requestHead(req.method, req.path, req.headers));
      if (req.body && req.body.length > 0) this.socket.write(req.body);
      this.socket.uncork();
    });
  }

  /** Whether the connection can take another request (not closed, by either side). */
  get usable(): boolean {
    return !this.dead && !this.socket.destroyed && !this.socket.readableEnded;
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
    if (this.copyReads) return (this.chunk ??= Buffer.allocUnsafeSlow(CALL_READ));
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
    if (this.copyReads) {
      this.onCopied(body, buf.subarray(at, n));
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

  /** A call's body bytes (a view into the current chunk, which the next read reuses): copied to the body. */
  private onCopied(body: LeanBody, bytes: Buffer): void {
    if (this.decoder) {
      let parts: Buffer[];
      try {
        parts = this.decoder.push(bytes);
      } catch (err) {
        this.fail(connectionError(`bad chunked reply: ${(err as Error).message}`, err));
        return;
      }
      if (parts.length > 0) body.deliver(Buffer.concat(parts));
      if (this.decoder.done) {
        this.decoder = undefined;
        body.finish();
      }
      return;
    }
    const take = Math.min(bytes.length, body.remaining);
    if (take > 0) body.deliver(Buffer.from(bytes.subarray(0, take)));
    body.remaining -= take;
    if (body.remaining === 0) body.finish();
  }

  /** Collect the status line and headers; returns where the body starts in buf, or -1 (need more). */
  private onHead(buf: Buffer, n: number): number {
    const prev = this.headBytes;
    this.head.push(Buffer.from(buf.subarray(0, n)));
    this.headBytes += n;
    const all = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head, this.headBytes);
    const end = all.indexOf('\r\n\r\n', Math.max(0, prev - 3));
    if (end < 0) {
      if (this.headBytes > MAX_HEAD) this.fail(connectionError('response headers too large'));
      return -1;
    }
    const head = parseHead(all.subarray(0, end).toString('latin1'));
    if (!head) {
      this.fail(connectionError('not an HTTP/1.1 response'));
      return -1;
    }
    // Where the body starts in this read's buffer (the terminator was searched from prev - 3, so it
    // ends inside this read).
    const bodyStart = end + 4 - prev;
    if (head.status >= 100 && head.status < 200) {
      // An interim reply: drop it and read the real one from what follows.
      this.head = [];
      this.headBytes = 0;
      if (bodyStart >= n) return -1;
      const r = this.onHead(buf.subarray(bodyStart, n), n - bodyStart);
      return r < 0 ? -1 : bodyStart + r;
    }
    const pending = this.pending as Pending;
    this.pending = undefined;
    const f = framing(head, this.method);
    this.keepAlive &&= f.keepAlive;
    const hint = keepAliveHint(head);
    if (hint !== undefined) this.idleMs = Math.min(this.idleMs, hint - HINT_MARGIN_MS);
    if (this.idleMs <= 0) this.keepAlive = false;
    if (f.length === 'chunked' && head.status < 300 && !this.copyReads) {
      pending.reject(new LeanGetError('chunked', 'a chunked download reply (downloads read Content-Length bodies)'));
      this.destroy();
      return -1;
    }
    if (f.length === 'chunked' && this.copyReads) this.decoder = new ChunkedDecoder();
    // A chunked download error reply: the status makes the error; its body is not read.
    const length = f.length !== 'chunked' ? f.length : this.decoder ? Infinity : 0;
    const body = new LeanBody(this.pool, this, length);
    this.body = body;
    pending.resolve({ ...head, body });
    if (length === 0) body.finish();
    return bodyStart;
  }

  bodyDone(body: LeanBody): void {
    if (this.body !== body) return;
    this.body = undefined;
    if (this.keepAlive && !this.dead) {
      this.socket.resume();
      this.socket.setTimeout(this.idleMs);
      this.socket.unref(); // an idle connection does not keep the process alive
      this.onFree(this);
    } else {
      this.destroy();
    }
  }

  abandon(body: LeanBody): void {
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
      if (body.remaining === Infinity && !this.decoder) body.finish();
      else body.fail(err);
    }
    this.onGone(this);
  }

  destroy(): void {
    this.fail(connectionError('connection closed'));
  }

  /** The caller's signal fired: the request and its body fail with `reason`. */
  abort(reason: Error): void {
    this.fail(reason);
  }
}
