/**
 * The HTTP seam: one request in, one response out (status, lower-cased headers, a streamed body).
 * The transport (client/transport.ts: error mapping, logging, JSON) talks to HttpSend instances only;
 * undici sits behind one (undici-send.ts, uploads), the lean client (lean-get.ts) behind the other
 * (calls and download bodies).
 */
import type { Readable } from 'node:stream';

export interface SendRequest {
  method: 'GET' | 'POST' | 'HEAD';
  url: string;
  headers: Record<string, string>;
  /** An async iterable is pulled one chunk at a time, the next once the socket took the previous one. */
  body?: string | Buffer | Readable | AsyncIterable<Buffer>;
  signal?: AbortSignal;
}

/** A response body: read it (for-await yields Buffers), or drop it with dump() / read it whole with text(). */
export type ResponseBody = Readable & { dump(opts?: { limit: number }): Promise<void>; text(): Promise<string> };

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: ResponseBody;
}

export interface HttpSend {
  /** Resolves once the status and headers have arrived (whatever the status); the body is unread. */
  send(req: SendRequest): Promise<HttpResponse>;
}

/** undici's header object (a repeated header is an array) as one lower-cased string per name. */
export function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
