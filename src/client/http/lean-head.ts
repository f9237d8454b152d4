/** HTTP/1.1 heads for the lean client: the request head; the response's status line, headers and body framing. */

export interface ResponseHead {
  status: number;
  headers: Record<string, string>;
}

/**
 * Status and lower-cased headers (repeats joined with ", ") of a head without its final CRLFCRLF;
 * undefined if it is not HTTP/1.x.
 */
export function parseHead(head: string): ResponseHead | undefined {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c <= 0) continue;
    const k = lines[i].slice(0, c).trim().toLowerCase();
    const v = lines[i].slice(c + 1).trim();
    headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
  }
  return { status: Number(m[1]), headers };
}

/**
 * How the body is framed: its byte count, Infinity (read until the connection closes), or 'chunked'.
 * keepAlive: whether the connection can serve another request after it. A reply to HEAD, a 204 and a
 * 304 have no body whatever their headers say.
 */
export function framing(h: ResponseHead, method = 'GET'): { length: number | 'chunked'; keepAlive: boolean } {
  let keepAlive = !/\bclose\b/i.test(h.headers.connection ?? '');
  if (method === 'HEAD' || h.status === 204 || h.status === 304) return { length: 0, keepAlive };
  if (/chunked/i.test(h.headers['transfer-encoding'] ?? '')) return { length: 'chunked', keepAlive: false };
  const cl = h.headers['content-length'];
  if (cl !== undefined && /^\d+$/.test(cl)) return { length: Number(cl), keepAlive };
  keepAlive = false;
  return { length: Infinity, keepAlive };
}

/**
 * How long the server keeps an idle connection, from a `Keep-Alive: timeout=N` reply header (ms), or
 * undefined when it does not say.
 */
export function keepAliveHint(h: ResponseHead): number | undefined {
  const m = /(?:^|[,\s])timeout=(\d+)/i.exec(h.headers['keep-alive'] ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

/** A request head. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  return `${text}\r\n`;
}
