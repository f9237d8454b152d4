/** Reading JSON request bodies and writing JSON replies and B2 error bodies: the one adapter. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { b2Fail, ConnectionDropped, EmulatorError } from './errors.js';
import type { Emulator } from './emulator.js';

const JSON_BODY_LIMIT = 16 * 1024 * 1024;
const JSON_HEADERS = {
  'Content-Type': 'application/json;charset=UTF-8',
  'Cache-Control': 'max-age=0, no-cache, no-store',
};

/** The one writer of JSON replies (success and error). HEAD replies carry no body. */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** A 'cut' fault: the headers promise the whole JSON reply, about half of it is sent, then the connection is destroyed. */
export function sendCut(res: ServerResponse, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { ...JSON_HEADERS, 'Content-Length': String(bytes.length) });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
}

/** Write an error as B2 does; anything unexpected becomes 500 internal_error (logged without secrets). */
export function sendError(emu: Emulator, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (err instanceof ConnectionDropped) return;
  // The client went away (request aborted, socket reset): nobody to answer, nothing to report.
  if (!(err instanceof EmulatorError) && (req.socket.destroyed || req.destroyed || isClientGone(err))) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let e: EmulatorError;
  if (err instanceof EmulatorError) e = err;
  else {
    emu.opts.log(
      `b2sync emulator: internal error on ${req.method} ${(req.url ?? '').split('?')[0]}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    e = b2Fail('internal_error', 'internal error');
  }
  sendJson(req, res, e.status, { status: e.status, code: e.code, message: e.message }, e.headers);
}

/** Node's error for a request body whose client hung up: "aborted" with code ECONNRESET. */
function isClientGone(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNABORTED' ||
    code === 'EPIPE' ||
    (err instanceof Error && err.message === 'aborted')
  );
}

/** Read a JSON request body (empty → {}); 400 bad_json when unparsable or not an object. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > JSON_BODY_LIMIT) throw b2Fail('bad_request', `request body is over ${JSON_BODY_LIMIT} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw b2Fail('bad_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw b2Fail('bad_json', 'request body must be a JSON object');
  return value as Record<string, unknown>;
}
