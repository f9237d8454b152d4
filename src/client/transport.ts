/**
 * HTTP transport over the seam (client/http/): request helpers that turn non-2xx answers into
 * B2Error and transport failures into transportError (status 0), log calls, and read JSON. Requests go
 * to an HttpSend, all within one connection budget per origin: the lean client (http/lean-get.ts) for
 * JSON calls and download bodies, undici for uploads (a Buffer or stream body). undici is loaded when
 * the first upload is sent, so a command that only lists or deletes never loads it (cold start).
 */
import type { Agent } from 'undici';
import { AbortError, B2Error, transportError } from '../core/errors.js';
import type { CallLogEntry } from './api.js';
import { ConnectionBudget } from './http/connection-budget.js';
import type { HttpResponse, HttpSend, SendRequest } from './http/http-send.js';
import { LeanGet } from './http/lean-get.js';
import { LeanGetError } from './http/lean-get-error.js';
import { closeAgent, createAgent, UndiciSend } from './http/undici-send.js';
import { JsonArrayStream } from './json-array-stream.js';
import { redactText, redactUrl } from './redact.js';
import { abortReason } from '../core/abort.js';
import { CallCounter } from './call-classes.js';

export type { HttpResponse } from './http/http-send.js';

export interface TransportOptions {
  maxConnections: number;
  userAgent: string;
  onCall?: (entry: CallLogEntry) => void;
  /** Secrets to scrub from logged error text (the application key, current tokens). */
  secrets: () => readonly (string | undefined)[];
}

export interface HttpRequest extends SendRequest {
  call: string;
  /** 0 for the first attempt; for the log. */
  attempt?: number;
  /** A download GET: its body is read into the lean client's pooled chunks (http/lean-get.ts). */
  download?: boolean;
}

/**
 * Which HttpSend a request goes to: a download GET to the lean client's download side; a request with
 * no body or a string body (B2's JSON calls) to its call side; a Buffer or stream body (an upload) to
 * undici.
 */
export function route(req: SendRequest & { download?: boolean }): 'download' | 'call' | 'undici' {
  if (req.body !== undefined && typeof req.body !== 'string') return 'undici';
  if (req.download && req.method === 'GET' && req.body === undefined) return 'download';
  return 'call';
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
export function errorFromResponse(
  call: string,
  status: number,
  headers: Record<string, string>,
  text: string,
): B2Error {
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

/** Errors a request body factory or the caller made, which a retry cannot fix. */
const CALLER_ERRORS = new Set(['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_INVALID_ARG']);

export class Transport {
  private readonly budget: ConnectionBudget;
  private readonly calls: LeanGet;
  private readonly downloads: LeanGet;
  /** undici's Agent and its HttpSend, made by the first upload. */
  private agent: Agent | undefined;
  private uploads: HttpSend | undefined;
  /** Every exchange sent, by B2 transaction class (call-classes.ts). */
  readonly callCounts = new CallCounter();

  constructor(private readonly opts: TransportOptions) {
    this.budget = new ConnectionBudget(opts.maxConnections);
    this.calls = new LeanGet({ budget: this.budget, copyReads: true });
    this.downloads = new LeanGet({ budget: this.budget });
  }

  /** Whether undici has been loaded for this transport (tests; cold start). */
  get undiciLoaded(): boolean {
    return this.agent !== undefined;
  }

  private undici(): HttpSend {
    if (!this.uploads) {
      const agent = createAgent(this.opts.maxConnections);
      this.agent = agent;
      this.uploads = new UndiciSend(agent.compose(this.budget.interceptor()));
    }
    return this.uploads;
  }

  private sendVia(req: HttpRequest, sent: SendRequest): Promise<HttpResponse | undefined> {
    const way = route(req);
    if (way === 'download') return this.sendDownload(sent);
    if (way === 'call') return this.calls.send(sent);
    return this.undici().send(sent);
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

  /** Map an exception thrown by an HttpSend (or by reading a body) to AbortError / B2Error. */
  private mapFailure(req: HttpRequest, err: unknown): Error {
    if (req.signal?.aborted) return abortReason(req.signal);
    if (err instanceof B2Error || err instanceof AbortError) return err;
    const code = (err as { code?: string }).code;
    if ((code && CALLER_ERRORS.has(code)) || (err instanceof LeanGetError && err.kind === 'invalid-request')) {
      return new Error(`${req.call}: ${(err as Error).message}`, { cause: err });
    }
    if (err instanceof Error && err.name === 'AbortError') return new AbortError();
    return transportError(req.call, err);
  }

  /** Send a request and return the response whatever its status (headers read, body unread). */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    this.callCounts.add(req.call);
    const headers = { 'user-agent': this.opts.userAgent, ...req.headers };
    try {
      const { method, url, body, signal } = req;
      const sent: SendRequest = { method, url, headers, body, signal };
      const out = (await this.sendVia(req, sent)) ?? (await this.undici().send(sent));
      if (out.status < 300) this.log(req, out.status, started);
      (out as { started?: number }).started = started;
      return out;
    } catch (err) {
      const mapped = this.mapFailure(req, err);
      this.log(req, 0, started, mapped);
      throw mapped;
    }
  }

  /**
   * A download GET through the lean client; undefined for a chunked reply (a proxy, say), which undici
   * then repeats (GET is safe to repeat).
   */
  private async sendDownload(req: SendRequest): Promise<HttpResponse | undefined> {
    try {
      return await this.downloads.send(req);
    } catch (err) {
      if (err instanceof LeanGetError && err.kind === 'chunked') return undefined;
      throw err;
    }
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
        throw new B2Error({
          status: res.status,
          code: 'bad_response',
          message: `${req.call}: reply is not JSON`,
          call: req.call,
          cause: err,
        });
      }
      throw this.mapFailure(req, err);
    }
  }

  /**
   * Read a 2xx JSON reply (from stream()) whose field `arrayKey` is an array of objects, yielding the
   * objects in batches (those each network chunk completed) as the body arrives; returns the reply's
   * other fields. A body cut short or unreadable
   * fails like any transport failure (retryable); a malformed one is a bad_response B2Error.
   * `strip`: text removed from each object before it is parsed (JsonArrayStream).
   */
  async *jsonArray<E>(
    req: HttpRequest,
    res: HttpResponse,
    arrayKey: string,
    strip?: RegExp,
  ): AsyncGenerator<E[], Record<string, unknown>> {
    const scanner = new JsonArrayStream<E>(arrayKey, undefined, strip);
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
        throw new B2Error({
          status: res.status,
          code: 'bad_response',
          message: `${req.call}: reply is not valid JSON (${err.message})`,
          call: req.call,
          cause: err,
        });
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
    this.calls.close();
    this.downloads.close();
    if (this.agent) await closeAgent(this.agent, graceMs);
  }
}
