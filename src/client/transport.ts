/**
 * HTTP transport: one undici Agent (keep-alive, bounded connections per origin), and request helpers
 * that turn non-2xx answers into B2Error and transport failures into transportError (status 0).
 */
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { AbortError, B2Error, transportError } from '../core/errors.js';
import type { CallLogEntry } from './api.js';
import { JsonArrayStream } from './json-array-stream.js';
import { CHUNKED, RawGet } from './raw-get.js';
import { redactText, redactUrl } from './redact.js';
import { abortReason } from '../core/abort.js';
import { undici } from './undici-lite.js';

export interface TransportOptions {
  maxConnections: number;
  userAgent: string;
  onCall?: (entry: CallLogEntry) => void;
  /** Secrets to scrub from logged error text (the application key, current tokens). */
  secrets: () => readonly (string | undefined)[];
}

export interface HttpRequest {
  call: string;
  method: 'GET' | 'POST' | 'HEAD';
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
  /** 0 for the first attempt; for the log. */
  attempt?: number;
  /** A download GET: sent through the lean download client (raw-get.ts) instead of undici. */
  download?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable & { dump(opts?: { limit: number }): Promise<void>; text(): Promise<string> };
}

/** Codes b2-sdk-java assumes when an error response carries none (HEAD, proxies). */
const DEFAULT_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  416: 'range_not_satisfiable',
  429: 'too_many_requests',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** Retry-After as seconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.ceil((t - now) / 1000));
}

/** Build a B2Error from an error response's status, headers and (possibly empty) body text. */
export function errorFromResponse(call: string, status: number, headers: Record<string, string>, text: string): B2Error {
  let code = DEFAULT_CODES[status] ?? (status >= 500 ? 'internal_error' : 'unknown');
  let message = '';
  if (text) {
    try {
      const j = JSON.parse(text) as { code?: unknown; message?: unknown };
      if (typeof j.code === 'string' && j.code) code = j.code;
      if (typeof j.message === 'string') message = j.message;
    } catch {
      message = text.slice(0, 200);
    }
  }
  return new B2Error({
    status,
    code,
    message: message || `${call}: ${status} ${code}`,
    retryAfter: parseRetryAfter(headers['retry-after']),
    call,
  });
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Errors a request body factory or the caller made, which a retry cannot fix. */
const CALLER_ERRORS = new Set(['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_INVALID_ARG']);

export class Transport {
  readonly agent: Agent;
  private readonly downloads: RawGet;

  constructor(private readonly opts: TransportOptions) {
    this.downloads = new RawGet({ maxConnections: opts.maxConnections });
    this.agent = new undici.Agent({
      connections: opts.maxConnections,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      pipelining: 1,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    });
  }

  private log(req: HttpRequest, status: number, started: number, error?: unknown): void {
    if (!this.opts.onCall) return;
    const entry: CallLogEntry = {
      call: req.call,
      method: req.method,
      url: redactUrl(req.url),
      status,
      ms: Date.now() - started,
      attempt: req.attempt ?? 0,
    };
    if (error !== undefined) {
      const msg = error instanceof Error ? `${(error as B2Error).code ?? error.name}: ${error.message}` : String(error);
      entry.error = redactText(msg, this.opts.secrets());
    }
    try {
      this.opts.onCall(entry);
    } catch {
      /* a logging hook must not break a call */
    }
  }

  /** Map an exception thrown by undici (or by reading a body) to AbortError / B2Error. */
  private mapFailure(req: HttpRequest, err: unknown): Error {
    if (req.signal?.aborted) return abortReason(req.signal);
    if (err instanceof B2Error || err instanceof AbortError) return err;
    const code = (err as { code?: string }).code;
    if (code && CALLER_ERRORS.has(code)) {
      return new Error(`${req.call}: ${(err as Error).message}`, { cause: err });
    }
    if (err instanceof Error && err.name === 'AbortError') return new AbortError();
    return transportError(req.call, err);
  }

  /** Send a request and return the response whatever its status (headers read, body unread). */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const headers = { 'user-agent': this.opts.userAgent, ...req.headers };
    try {
      const out = (req.download && req.method === 'GET' ? await this.sendDownload(req, headers) : undefined) ?? (await this.sendUndici(req, headers));
      if (out.status < 300) this.log(req, out.status, started);
      (out as { started?: number }).started = started;
      return out;
    } catch (err) {
      const mapped = this.mapFailure(req, err);
      this.log(req, 0, started, mapped);
      throw mapped;
    }
  }

  /** A download GET through the lean client; undefined for a chunked reply (a proxy, say), which undici then repeats (GET is safe to repeat). */
  private async sendDownload(req: HttpRequest, headers: Record<string, string>): Promise<HttpResponse | undefined> {
    try {
      return await this.downloads.get(req.url, headers, req.signal);
    } catch (err) {
      if ((err as { code?: string }).code === CHUNKED) return undefined;
      throw err;
    }
  }

  private async sendUndici(req: HttpRequest, headers: Record<string, string>): Promise<HttpResponse> {
    const res = await undici.request(req.url, { dispatcher: this.agent, method: req.method, headers, body: req.body, signal: req.signal });
    return { status: res.statusCode, headers: flatHeaders(res.headers), body: res.body as HttpResponse['body'] };
  }

  /** Turn a non-2xx response into a B2Error (reading and discarding its body). */
  private async fail(req: HttpRequest, res: HttpResponse): Promise<never> {
    let text = '';
    try {
      if (req.method !== 'HEAD') text = await res.body.text();
      else await res.body.dump();
    } catch {
      /* an unreadable error body still leaves the status */
    }
    const err = errorFromResponse(req.call, res.status, res.headers, text);
    this.log(req, res.status, (res as { started?: number }).started ?? Date.now(), err);
    throw err;
  }

  /** A JSON call: 2xx → parsed body; otherwise B2Error. */
  async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.send(req);
    if (res.status < 200 || res.status >= 300) return this.fail(req, res);
    try {
      const text = await res.body.text();
      return JSON.parse(text) as T;
    } catch (err) {
      if (err instanceof SyntaxError) {
        throw new B2Error({ status: res.status, code: 'bad_response', message: `${req.call}: reply is not JSON`, call: req.call, cause: err });
      }
      throw this.mapFailure(req, err);
    }
  }

  /**
   * Read a 2xx JSON reply (from stream()) whose field `arrayKey` is an array of objects, yielding the
   * objects in batches (those each network chunk completed) as the body arrives; returns the reply's
   * other fields. A body cut short or unreadable
   * fails like any transport failure (retryable); a malformed one is a bad_response B2Error.
   */
  async *jsonArray<E>(req: HttpRequest, res: HttpResponse, arrayKey: string): AsyncGenerator<E[], Record<string, unknown>> {
    const scanner = new JsonArrayStream<E>(arrayKey);
    let finished = false;
    try {
      for await (const chunk of res.body) {
        const items = scanner.push(chunk as Buffer);
        if (items.length > 0) yield items;
      }
      const rest = scanner.end();
      finished = true;
      return rest;
    } catch (err) {
      if (err instanceof SyntaxError) {
        throw new B2Error({ status: res.status, code: 'bad_response', message: `${req.call}: reply is not valid JSON (${err.message})`, call: req.call, cause: err });
      }
      throw this.mapFailure(req, err);
    } finally {
      if (!finished) res.body.destroy();
    }
  }

  /** A streamed response: 2xx → response with the body unread; otherwise B2Error. */
  async stream(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.send(req);
    if (res.status < 200 || res.status >= 300) return this.fail(req, res);
    return res;
  }

  /** Close pooled connections; requests still running (an unread download body) are cut after a grace period. */
  async close(graceMs = 2000): Promise<void> {
    this.downloads.close();
    let timer: NodeJS.Timeout | undefined;
    const graceful = this.agent.close().then(() => true);
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
      timer.unref();
    });
    const done = await Promise.race([graceful, late]);
    clearTimeout(timer);
    if (!done) await this.agent.destroy();
  }
}
