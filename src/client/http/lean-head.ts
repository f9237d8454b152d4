/** Parsing of an HTTP/1.1 response head for the lean GET client: status line, headers, body framing. */

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
 * keepAlive: whether the connection can serve another request after it.
 */
export function framing(h: ResponseHead): { length: number | 'chunked'; keepAlive: boolean } {
  let keepAlive = !/\bclose\b/i.test(h.headers.connection ?? '');
  if (/chunked/i.test(h.headers['transfer-encoding'] ?? '')) return { length: 'chunked', keepAlive: false };
  const cl = h.headers['content-length'];
  if (cl !== undefined && /^\d+$/.test(cl)) return { length: Number(cl), keepAlive };
  keepAlive = false;
  return { length: Infinity, keepAlive };
}

/** The GET request head. */
export function requestHead(path: string, headers: Record<string, string>): string {
  let text = `GET ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
  return `${text}\r\n`;
}
