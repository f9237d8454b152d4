/**
 * Raw HTTP helpers for the emulator's black-box conformance suite (test/emulator/spec-*.test.ts).
 * Everything here speaks B2's wire format directly with fetch or node:net; nothing from src/client.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/api.js';

export type { RunningEmulator };

export const MASTER_KEY_ID = 'spec-key-id';
export const MASTER_KEY = 'spec-application-key';

/** Start an emulator on port 0 with known master credentials. */
export function start(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, keyId: MASTER_KEY_ID, applicationKey: MASTER_KEY, ...opts });
}

export type Json = any;

export interface Resp {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: Json;
}

async function toResp(r: Response): Promise<Resp> {
  const text = await r.text();
  let body: Json;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: r.status, headers: r.headers, text, body };
}

export function basic(keyId: string, key: string): string {
  return 'Basic ' + Buffer.from(`${keyId}:${key}`).toString('base64');
}

export function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex');
}

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** Percent-encode per b2-api.md §5.5 (unreserved set as rclone uses it; '/' kept). */
export function b2Encode(s: string): string {
  const safe = /[A-Za-z0-9._\-/~!$'()*;=:@]/;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && safe.test(ch) ? ch : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Decode a percent-encoded response header (plus as space). */
export function b2Decode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

export async function authorizeRaw(
  realm: string,
  keyId: string,
  key: string,
  opts: { version?: string; method?: 'GET' | 'POST' } = {},
): Promise<Resp> {
  const method = opts.method ?? 'GET';
  const r = await fetch(`${realm}/b2api/${opts.version ?? 'v4'}/b2_authorize_account`, {
    method,
    headers: { Authorization: basic(keyId, key), ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) },
    body: method === 'POST' ? '{}' : undefined,
  });
  return toResp(r);
}

export interface Session {
  accountId: string;
  token: string;
  apiUrl: string;
  downloadUrl: string;
  auth: Json;
}

/** Authorize with v4 and return the parts the other helpers need. */
export async function session(emu: { url: string }, keyId = MASTER_KEY_ID, key = MASTER_KEY): Promise<Session> {
  const r = await authorizeRaw(emu.url, keyId, key);
  assert.equal(r.status, 200, `authorize failed: ${r.text}`);
  const s = r.body.apiInfo.storageApi;
  return {
    accountId: r.body.accountId,
    token: r.body.authorizationToken,
    apiUrl: s.apiUrl,
    downloadUrl: s.downloadUrl,
    auth: r.body,
  };
}

export interface CallOpts {
  version?: string;
  /** Override the Authorization header; null sends none. */
  token?: string | null;
  method?: 'GET' | 'POST';
}

/** A JSON call: POST with a JSON body (or GET with a query string). */
export async function call(s: Session, name: string, body: Json = {}, opts: CallOpts = {}): Promise<Resp> {
  const version = opts.version ?? 'v4';
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? s.token : opts.token;
  if (token !== null) headers.Authorization = token;
  let url = `${s.apiUrl}/b2api/${version}/${name}`;
  if (opts.method === 'GET') {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (v === undefined || v === null) continue;
      q.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    const qs = q.toString();
    if (qs) url += '?' + qs;
    return toResp(await fetch(url, { method: 'GET', headers }));
  }
  headers['Content-Type'] = 'application/json';
  return toResp(await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }));
}

/** A call that must succeed: returns the JSON body. */
export async function ok(s: Session, name: string, body: Json = {}, opts: CallOpts = {}): Promise<Json> {
  const r = await call(s, name, body, opts);
  assert.equal(r.status, 200, `${name} ${JSON.stringify(body)} → ${r.status} ${r.text}`);
  return r.body;
}

/** Assert a B2 JSON error: status, code, and a body whose status equals the HTTP status. */
export function assertError(r: Resp, status: number, code?: string | string[]): void {
  assert.equal(r.status, status, `expected ${status} ${code ?? ''}, got ${r.status} ${r.text}`);
  assert.ok(r.body && typeof r.body === 'object', `error body is not JSON: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/i, 'error Content-Type');
  assert.equal(r.body.status, status, `body.status: ${r.text}`);
  assert.equal(typeof r.body.code, 'string');
  assert.equal(typeof r.body.message, 'string');
  if (Array.isArray(code)) assert.ok(code.includes(r.body.code), `code ${r.body.code} not in ${code.join('|')}`);
  else if (code !== undefined) assert.equal(r.body.code, code, `message: ${r.body.message}`);
}

let bucketSeq = 0;
/** A fresh, unique, valid bucket name. */
export function bucketName(tag = 'b'): string {
  return `spec-${tag}-${process.pid}-${++bucketSeq}-${randomBytes(3).toString('hex')}`.slice(0, 63);
}

export async function makeBucket(
  s: Session,
  type: 'allPrivate' | 'allPublic' = 'allPrivate',
  name = bucketName(),
  extra: Json = {},
): Promise<Json> {
  return ok(s, 'b2_create_bucket', { accountId: s.accountId, bucketName: name, bucketType: type, ...extra });
}

export interface UploadTarget {
  uploadUrl: string;
  authorizationToken: string;
}

export async function getUploadUrl(s: Session, bucketId: string): Promise<UploadTarget> {
  return ok(s, 'b2_get_upload_url', { bucketId });
}

export interface UploadOpts {
  contentType?: string;
  /** 'hex' (default), 'end' (hex_digits_at_end), 'none' (do_not_verify), or a literal header value. */
  sha1?: 'hex' | 'end' | 'none' | { value: string };
  /** X-Bz-Info-* entries (values percent-encoded here). */
  info?: Record<string, string>;
  /** Extra headers, written as given. */
  headers?: Record<string, string>;
  /** The X-Bz-File-Name header exactly as given (no encoding). */
  rawName?: string;
  token?: string;
}

/** b2_upload_file to a given upload URL. */
export async function uploadTo(
  t: UploadTarget,
  name: string,
  data: Buffer | string,
  o: UploadOpts = {},
): Promise<Resp> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const mode = o.sha1 ?? 'hex';
  let body = buf;
  let shaHeader: string;
  if (mode === 'hex') shaHeader = sha1(buf);
  else if (mode === 'end') {
    shaHeader = 'hex_digits_at_end';
    body = Buffer.concat([buf, Buffer.from(sha1(buf))]);
  } else if (mode === 'none') shaHeader = 'do_not_verify';
  else shaHeader = mode.value;
  const headers: Record<string, string> = {
    Authorization: o.token ?? t.authorizationToken,
    'X-Bz-File-Name': o.rawName ?? b2Encode(name),
    'Content-Type': o.contentType ?? 'b2/x-auto',
    'X-Bz-Content-Sha1': shaHeader,
  };
  for (const [k, v] of Object.entries(o.info ?? {})) headers[`X-Bz-Info-${k}`] = b2Encode(v);
  Object.assign(headers, o.headers ?? {});
  return toResp(await fetch(t.uploadUrl, { method: 'POST', headers, body }));
}

/** Upload a file that must succeed; returns the file object. */
export async function uploadOk(
  t: UploadTarget,
  name: string,
  data: Buffer | string,
  o: UploadOpts = {},
): Promise<Json> {
  const r = await uploadTo(t, name, data, o);
  assert.equal(r.status, 200, `upload ${name} → ${r.status} ${r.text}`);
  return r.body;
}

/** One-shot: get an upload URL and upload. */
export async function upload(
  s: Session,
  bucketId: string,
  name: string,
  data: Buffer | string,
  o: UploadOpts = {},
): Promise<Json> {
  return uploadOk(await getUploadUrl(s, bucketId), name, data, o);
}

export interface PartTarget {
  uploadUrl: string;
  authorizationToken: string;
  fileId: string;
}

export async function uploadPart(
  t: PartTarget,
  partNumber: number | string,
  data: Buffer,
  o: { sha1?: 'hex' | 'end' | { value: string }; token?: string } = {},
): Promise<Resp> {
  const mode = o.sha1 ?? 'hex';
  let body = data;
  let shaHeader: string;
  if (mode === 'hex') shaHeader = sha1(data);
  else if (mode === 'end') {
    shaHeader = 'hex_digits_at_end';
    body = Buffer.concat([data, Buffer.from(sha1(data))]);
  } else shaHeader = mode.value;
  return toResp(
    await fetch(t.uploadUrl, {
      method: 'POST',
      headers: {
        Authorization: o.token ?? t.authorizationToken,
        'X-Bz-Part-Number': String(partNumber),
        'X-Bz-Content-Sha1': shaHeader,
      },
      body,
    }),
  );
}

/** GET/HEAD a download URL. */
export async function fetchRaw(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer; body: Json }> {
  const r = await fetch(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} });
  const bytes = Buffer.from(await r.arrayBuffer());
  let body: Json;
  try {
    body = bytes.length ? JSON.parse(bytes.toString('utf8')) : undefined;
  } catch {
    body = undefined;
  }
  return { status: r.status, headers: r.headers, bytes, body };
}

export function byNameUrl(s: Session, bucket: string, name: string, query = ''): string {
  return `${s.downloadUrl}/file/${bucket}/${b2Encode(name)}${query ? '?' + query : ''}`;
}

export function byIdUrl(s: Session, fileId: string, version = 'v4', query = ''): string {
  return `${s.downloadUrl}/b2api/${version}/b2_download_file_by_id?fileId=${encodeURIComponent(fileId)}${query ? '&' + query : ''}`;
}

/** List every entry of list_file_names / list_file_versions by following next* pointers. */
export async function listAll(
  s: Session,
  name: 'b2_list_file_names' | 'b2_list_file_versions',
  body: Json,
  pageSize: number,
): Promise<{ files: Json[]; pages: number }> {
  const files: Json[] = [];
  let startFileName: string | null = null;
  let startFileId: string | null = null;
  let pages = 0;
  for (;;) {
    const req: Json = { ...body, maxFileCount: pageSize };
    if (startFileName !== null) req.startFileName = startFileName;
    if (startFileId !== null) req.startFileId = startFileId;
    const r = await ok(s, name, req);
    pages++;
    files.push(...r.files);
    if (r.nextFileName === null || r.nextFileName === undefined) break;
    assert.ok(pages < 100000, 'listing does not terminate');
    startFileName = r.nextFileName;
    startFileId = name === 'b2_list_file_versions' ? (r.nextFileId ?? null) : null;
  }
  return { files, pages };
}

/** Compare two strings by their UTF-8 bytes. */
export function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface RawReply {
  status: number;
  head: string;
  headers: Record<string, string>;
  body: string;
  /** The first response's body bytes. */
  bodyBytes: Buffer;
  /** True when the server closed the connection before or during the reply. */
  closed: boolean;
}

/**
 * Write raw bytes on a fresh TCP connection and read the reply (up to the first complete response,
 * or until the server closes, or `waitMs`). `endAfterWrite` half-closes the socket after writing.
 */
export function rawHttp(
  url: string,
  raw: string | Buffer,
  opts: { waitMs?: number; endAfterWrite?: boolean } = {},
): Promise<RawReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parseRaw(Buffer.concat(chunks), closed));
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 3000);
    sock.on('connect', () => {
      sock.write(raw);
      if (opts.endAfterWrite) sock.end();
    });
    sock.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      const p = parseRaw(all, false);
      const cl = p.headers['content-length'];
      if (p.status && cl !== undefined && all.length - all.indexOf('\r\n\r\n') - 4 >= Number(cl)) finish(false);
    });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', (e) => {
      if (!done && chunks.length === 0 && (e as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        done = true;
        clearTimeout(timer);
        reject(e);
      } else finish(true);
    });
  });
}

function parseRaw(buf: Buffer, closed: boolean): RawReply {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0)
    return { status: 0, head: buf.toString('latin1'), headers: {}, body: '', bodyBytes: Buffer.alloc(0), closed };
  const head = buf.subarray(0, i).toString('latin1');
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  let rest = buf.subarray(i + 4);
  // only the first response: cut at its Content-Length (later bytes belong to further responses)
  if (headers['content-length'] !== undefined) rest = rest.subarray(0, Number(headers['content-length']));
  return { status: m ? Number(m[1]) : 0, head, headers, body: rest.toString('utf8'), bodyBytes: rest, closed };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run `fn` over items with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/**
 * Begin a POST with a declared Content-Length but send only `first`; the returned handle sends the
 * rest (finish) or drops the connection (abort). Used for in-flight uploads and short bodies.
 */
export function partialPost(
  url: string,
  headers: Record<string, string>,
  total: number,
  first: Buffer,
): {
  finish(rest: Buffer): Promise<Resp>;
  abort(): void;
  /** Settles when the server answers (or the socket fails). */
  reply: Promise<Resp | Error>;
} {
  const u = new URL(url);
  const req = httpRequest({
    host: u.hostname,
    port: Number(u.port),
    path: u.pathname + u.search,
    method: 'POST',
    headers: { ...headers, 'Content-Length': String(total) },
    agent: false,
  });
  const reply = new Promise<Resp | Error>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Json;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, text, body });
      });
      res.on('error', (e) => resolve(e));
    });
    req.on('error', (e) => resolve(e));
  });
  req.flushHeaders();
  req.write(first);
  return {
    reply,
    async finish(rest: Buffer) {
      req.end(rest);
      const r = await reply;
      if (r instanceof Error) throw r;
      return r;
    },
    abort() {
      req.destroy();
    },
  };
}

/**
 * Upload many small files fast: one keep-alive node:http connection per upload URL (one URL per
 * worker, as B2 requires), each file's body given by `body(name)`. Returns the file objects in order.
 */
export async function bulkUpload(
  targets: UploadTarget[],
  names: string[],
  body: (name: string, i: number) => string,
): Promise<Json[]> {
  const out: Json[] = new Array(names.length);
  let next = 0;
  await Promise.all(
    targets.map(async (t) => {
      const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
      const u = new URL(t.uploadUrl);
      try {
        while (next < names.length) {
          const i = next++;
          const data = Buffer.from(body(names[i], i));
          const text = await new Promise<string>((resolve, reject) => {
            const req = httpRequest(
              {
                agent,
                host: u.hostname,
                port: Number(u.port),
                path: u.pathname + u.search,
                method: 'POST',
                headers: {
                  Authorization: t.authorizationToken,
                  'X-Bz-File-Name': b2Encode(names[i]),
                  'Content-Type': 'b2/x-auto',
                  'X-Bz-Content-Sha1': sha1(data),
                  'Content-Length': String(data.length),
                },
              },
              (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (d: Buffer) => chunks.push(d));
                res.on('end', () => {
                  const s = Buffer.concat(chunks).toString('utf8');
                  if (res.statusCode !== 200) reject(new Error(`upload ${names[i]} → ${res.statusCode} ${s}`));
                  else resolve(s);
                });
              },
            );
            req.on('error', reject);
            req.end(data);
          });
          out[i] = JSON.parse(text);
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return out;
}
