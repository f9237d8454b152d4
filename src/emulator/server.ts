/**
 * The HTTP side: parse the request line, pick the route, apply test controls (counters, latency,
 * faults, X-Bz-Test-Mode), gather parameters, run the handler, and write JSON or B2's error body
 * through one adapter. Every request is caught; the server keeps serving whatever a client sends.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiVersion } from '../wire/types.js';
import { CONTROL_PREFIX } from './api.js';
import { b2Fail, b2FailWith } from './errors.js';
import { readJsonBody, sendCut, sendError, sendJson } from './http-io.js';
import type { Call, Emulator } from './emulator.js';
import { Params } from './params.js';
import { BILLED_PER_1000, ROUTES } from './routes.js';
import { RESPONDED } from './handlers/download.js';
import { handleControl } from './control-routes.js';

const VERSIONS = new Set(['v1', 'v2', 'v3', 'v4']);

function baseUrl(emu: Emulator, req: IncomingMessage): string {
  const host = req.headers.host;
  return host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? `http://${host}` : emu.url;
}

function capCode(kind: string): 'storage_cap_exceeded' | 'download_cap_exceeded' | 'transaction_cap_exceeded' {
  return kind === 'upload'
    ? 'storage_cap_exceeded'
    : kind === 'download'
      ? 'download_cap_exceeded'
      : 'transaction_cap_exceeded';
}

/** Which call a path names: /file/... is a download by name; /b2api/<version>/<call>[/<upload URL rest>]. */
function resolveCall(path: string): { name: string; version: ApiVersion; pathRest: string } {
  if (path.startsWith('/file/')) {
    return { name: 'b2_download_file_by_name', version: 'v4', pathRest: path.slice('/file/'.length) };
  }
  const m = /^\/b2api\/([^/]+)\/([^/]+)(?:\/(.*))?$/.exec(path);
  if (!m) throw b2Fail('not_found', `no such path: ${path}`);
  if (!VERSIONS.has(m[1])) throw b2Fail('not_found', `unsupported API version: ${m[1]}`);
  const name = m[2];
  const upload = name === 'b2_upload_file' || name === 'b2_upload_part';
  if (m[3] !== undefined && !upload) throw b2Fail('not_found', `no such path: ${path}`);
  if (m[3] === undefined && upload) {
    throw b2Fail(
      'not_found',
      `${name} takes the uploadUrl returned by ${name === 'b2_upload_file' ? 'b2_get_upload_url' : 'b2_get_upload_part_url'}`,
    );
  }
  return { name, version: m[1] as ApiVersion, pathRest: m[3] ?? '' };
}

/** Parameters from the query string, overridden by a POSTed JSON body (fromQuery says which spoke). */
async function readParams(req: IncomingMessage, query: URLSearchParams, takesParams: boolean): Promise<Params> {
  let raw: Record<string, unknown> = {};
  let fromQuery = true;
  if (takesParams) {
    for (const [k, v] of query) raw[k] = v;
    if (req.method === 'POST') {
      const body = await readJsonBody(req);
      if (Object.keys(body).length > 0) {
        raw = { ...raw, ...body };
        fromQuery = false;
      }
    }
  }
  return new Params(raw, fromQuery);
}

async function handleB2(
  emu: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const { name, version, pathRest } = resolveCall(path);
  const route = Object.hasOwn(ROUTES, name) ? ROUTES[name] : undefined;
  if (!route) throw b2Fail('not_found', `unknown API call: ${name}`);
  const method = req.method ?? 'GET';
  if (!route.methods.includes(method))
    throw b2Fail('method_not_allowed', `${method} is not allowed for ${name}`, { Allow: route.methods.join(', ') });

  const { controls } = emu;
  controls.count(name);
  if (controls.latencyMs > 0) await sleep(controls.latencyMs);
  const testMode = typeof req.headers['x-bz-test-mode'] === 'string' ? req.headers['x-bz-test-mode'].trim() : undefined;
  // A HEAD download has no body to cut or corrupt: it takes faults like a JSON call.
  const fault = controls.takeFault(name, route.kind === 'download' && method === 'HEAD' ? 'json' : route.kind);
  if (fault?.kind === 'error') {
    throw b2FailWith(
      fault.status,
      fault.code,
      fault.message,
      fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {},
    );
  }
  if (fault?.kind === 'drop' && (route.kind === 'json' || method === 'HEAD')) {
    req.socket.destroy();
    return;
  }
  if (testMode === 'force_cap_exceeded')
    throw b2Fail(capCode(route.kind), 'Cap exceeded (X-Bz-Test-Mode: force_cap_exceeded)');
  if (testMode === 'fail_some_uploads' && route.kind === 'upload' && emu.testModeFires(testMode))
    throw b2Fail('service_unavailable', 'Service temporarily unavailable (X-Bz-Test-Mode: fail_some_uploads)');

  const params = await readParams(req, query, route.kind !== 'upload' && name !== 'b2_download_file_by_name');
  const call: Call = {
    emu,
    name,
    version,
    req,
    res,
    params,
    query,
    pathRest,
    baseUrl: baseUrl(emu, req),
    fault,
    testMode,
  };
  const result = await route.handler(call);
  if (BILLED_PER_1000.has(name)) controls.bill(name, Math.max(1, Math.ceil((call.returned ?? 0) / 1000)) - 1);
  if (result === RESPONDED) return;
  if (fault?.kind === 'cut') {
    sendCut(res, result);
    return;
  }
  sendJson(req, res, 200, result);
}

async function handle(emu: Emulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    if (path === CONTROL_PREFIX || path.startsWith(CONTROL_PREFIX + '/')) {
      await handleControl(emu, req, res, path.slice(CONTROL_PREFIX.length));
      return;
    }
    await handleB2(emu, req, res, path, query);
  } catch (err) {
    sendError(emu, req, res, err);
  }
}

/** A raw JSON error for a request node could not parse (no req/res exist then). */
function rawError(socket: Socket, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ status, code: 'bad_request', message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json;charset=UTF-8\r\nCache-Control: max-age=0, no-cache, no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createEmulatorServer(emu: Emulator): Server {
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 30_000 }, (req, res) => {
    void handle(emu, req, res);
  });
  server.setTimeout(120_000);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const message =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 'request headers are too large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT'
          ? 'request timed out'
          : `malformed HTTP request (${err.code ?? 'parse error'})`;
    const pending = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (pending && !pending.writableFinished) {
      // The client ended the connection mid-request: cut it, so the request in progress sees the abort.
      if (err.code === 'HPE_INVALID_EOF_STATE') socket.destroy();
      // Bytes past the end of a request: the response in progress goes out first, then the error.
      else pending.once('finish', () => rawError(socket, 400, 'Bad Request', message));
    } else rawError(socket, 400, 'Bad Request', message);
  });
  return server;
}
