/**
 * Downloads by id and by name (GET, HEAD; POST JSON for by-id), with Range, B2's response headers,
 * b2-* info → standard headers, query overrides, download-authorization tokens, and the drop/corrupt
 * faults carried out on the body (b2-api.md §11).
 */
import type { ServerResponse } from 'node:http';
import { b2Decode, b2Encode } from '../../wire/names.js';
import { B2_INFO_HEADERS, DOWNLOAD_OVERRIDES } from '../../wire/headers.js';
import { b2Fail, ConnectionDropped } from '../errors.js';
import type { Call } from '../emulator.js';
import { readSegments } from '../store/blobs.js';
import { checkOverride } from '../file-info.js';
import { currentVersion } from '../store/meta-store.js';
import type { StoredBucket, StoredFile } from '../store/records.js';

/** Returned by handlers that wrote their own response. */
export const RESPONDED = Symbol('responded');

type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/** Parse a Range header against a size (§11.6). end is exclusive. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - n);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size : Number(m[2]) + 1;
    if (m[2] !== '' && end <= start) return { kind: 'full' };
    if (start >= size) return { kind: 'unsatisfiable' };
    end = Math.min(end, size);
  }
  if (size === 0) return { kind: 'unsatisfiable' };
  if (start === 0 && end === size) return { kind: 'full' };
  return { kind: 'partial', start, end };
}

/** The token on a download: the Authorization header, else the Authorization query parameter. */
function downloadToken(call: Call): string | undefined {
  return call.req.headers.authorization || call.query.get('Authorization') || undefined;
}

/** Check a caller may read `f` in `bucket` (public buckets need nothing). */
function authorizeRead(call: Call, bucket: StoredBucket, fileName: string, byName: boolean): void {
  if (bucket.bucketType === 'allPublic') return;
  const { emu } = call;
  const token = downloadToken(call);
  if (!token) throw b2Fail('missing_auth_token', 'Authorization is required to download from a private bucket');
  const t = emu.tokens.get(token);
  if (t?.kind === 'download' && byName) {
    if (!emu.findKey(t.keyId)) throw b2Fail('bad_auth_token', 'Invalid authorization token');
    if (t.expiresAt <= Date.now()) throw b2Fail('expired_auth_token', 'Download authorization token has expired');
    if (t.bucketId !== bucket.bucketId || !fileName.startsWith(t.prefix))
      throw b2Fail('unauthorized', 'download authorization token does not cover this file');
    for (const [name, value] of Object.entries(t.pins))
      if (call.query.get(name) !== value)
        throw b2Fail('unauthorized', `${name} must be ${value} for this authorization token`);
    return;
  }
  const p = emu.accountToken(call, token);
  emu.allow(p.key, 'readFiles', { bucketId: bucket.bucketId, fileName });
}

export async function downloadById(call: Call): Promise<unknown> {
  const { emu } = call;
  const fileId = call.params.reqStr('fileId');
  const f = emu.meta.files.get(fileId);
  const bucket = f && emu.meta.buckets.get(f.bucketId);
  if (!f || !bucket || f.action !== 'upload') {
    const token = downloadToken(call);
    if (token) emu.accountToken(call, token);
    throw b2Fail('not_found', `File with such id does not exist: ${fileId}`);
  }
  authorizeRead(call, bucket, f.fileName, false);
  return serve(call, f, bucket);
}

export async function downloadByName(call: Call): Promise<unknown> {
  const { emu } = call;
  const rest = call.pathRest;
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) throw b2Fail('not_found', 'no file name in the download path');
  let bucketName: string;
  let fileName: string;
  try {
    bucketName = b2Decode(rest.slice(0, slash));
    fileName = b2Decode(rest.slice(slash + 1));
  } catch {
    throw b2Fail('bad_request', 'download path is not valid percent-encoded UTF-8');
  }
  const bucket = emu.meta.bucketByName(bucketName);
  if (!bucket) throw b2Fail('not_found', `Bucket does not exist: ${bucketName}`);
  authorizeRead(call, bucket, fileName, true);
  const f = currentVersion(emu.meta.indexes.get(bucket.bucketId)?.versions.get(fileName));
  if (!f || f.action !== 'upload') throw b2Fail('not_found', `File not present: ${fileName}`);
  return serve(call, f, bucket);
}

function headersFor(call: Call, f: StoredFile, bucket: StoredBucket): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': f.contentType ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'X-Bz-File-Id': f.fileId,
    'X-Bz-File-Name': b2Encode(f.fileName),
    'X-Bz-Content-Sha1': f.contentSha1 ?? 'none',
    'X-Bz-Upload-Timestamp': String(f.uploadTimestamp),
  };
  for (const [k, v] of Object.entries(f.fileInfo)) {
    const std = B2_INFO_HEADERS[k];
    if (std) h[std] = v;
    else if (!k.startsWith('b2-')) h[`X-Bz-Info-${k}`] = b2Encode(v);
  }
  if (!h['cache-control']) {
    for (const [k, v] of Object.entries(bucket.bucketInfo))
      if (k.toLowerCase() === 'cache-control') h['cache-control'] = v;
  }
  for (const [param, std] of Object.entries(DOWNLOAD_OVERRIDES)) {
    const v = call.query.get(param);
    if (v === null) continue;
    checkOverride(param, v);
    if (std === 'content-type') h['Content-Type'] = v;
    else h[std] = v;
  }
  return h;
}

/** Resolves when the response can take more data, or the client went away. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Bytes a download may queue on its socket before waiting for it to drain. */
const SEND_AHEAD = 4 * 1024 * 1024;

async function serve(call: Call, f: StoredFile, bucket: StoredBucket): Promise<unknown> {
  const { res, req, emu } = call;
  const size = f.contentLength;
  const range = parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable')
    throw b2Fail('range_not_satisfiable', `Range ${req.headers.range ?? ''} is not satisfiable for ${size} bytes`, {
      'Content-Range': `bytes */${size}`,
    });
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size;
  const headers = headersFor(call, f, bucket);
  headers['Content-Length'] = String(end - start);
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end - 1}/${size}`;
  res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return RESPONDED;
  }
  const length = end - start;
  const fault = call.fault;
  const dropAt = fault?.kind === 'drop' ? Math.floor(length / 2) : -1;
  const corruptAt = fault?.kind === 'corrupt' && length > 0 ? Math.floor(length / 2) : -1;
  if (dropAt === 0) {
    res.flushHeaders();
    res.socket?.destroy();
    throw new ConnectionDropped();
  }
  let sent = 0;
  for await (const c of readSegments(emu.blobs, f.segments, start, end)) {
    let chunk = c;
    if (corruptAt >= sent && corruptAt < sent + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[corruptAt - sent] ^= 0xff;
    }
    if (dropAt > 0 && sent + chunk.length >= dropAt) {
      const head = chunk.subarray(0, dropAt - sent);
      await new Promise<void>((resolve) => res.write(head, () => resolve()));
      res.socket?.destroy();
      throw new ConnectionDropped();
    }
    sent += chunk.length;
    // Keep up to SEND_AHEAD bytes queued on the socket: waiting for a full drain after every chunk
    // leaves the connection idle between the drain and the next write.
    if (!res.write(chunk) && res.writableLength >= SEND_AHEAD) await drained(res);
    if (res.destroyed) throw new ConnectionDropped();
  }
  res.end();
  return RESPONDED;
}
