/**
 * b2_upload_file and b2_upload_part: the body is streamed into a blob while SHA-1 (and, for simple
 * uploads, MD5) are computed inline; the blob becomes visible only after the SHA-1 checks out.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';
import { b2Decode } from '../../wire/names.js';
import { H, SHA1_AT_END, SHA1_DO_NOT_VERIFY } from '../../wire/headers.js';
import { LIMITS } from '../../core/limits.js';
import { b2Fail, ConnectionDropped } from '../errors.js';
import type { Call, Principal } from '../emulator.js';
import { checkNameAndInfo, resolveContentType } from '../file-info.js';
import { newFileId } from '../ids.js';
import { fileShape, partShape } from '../shapes.js';
import type { BlobWriter, Segment } from '../store/blobs.js';
import type { StoredFile, StoredPart } from '../store/records.js';
import type { UploadToken } from '../tokens.js';

/** Headers B2 refuses on an upload (they are set through b2-* file info instead). */
const FORBIDDEN = [
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-location',
  'content-range',
  'expires',
];

/** The upload token on this call, bound to this upload URL; marks it in use (caller releases). */
function takeUploadToken(
  call: Call,
  target: string,
  opaque: string,
  part: boolean,
): { token: UploadToken; principal: Principal } {
  const { emu } = call;
  const header = call.req.headers.authorization;
  if (!header) throw b2Fail('missing_auth_token', 'Authorization header is missing');
  const t = emu.tokens.get(header);
  if (!t || t.kind !== 'upload' || t.part !== part)
    throw b2Fail('bad_auth_token', 'Invalid upload authorization token');
  if (t.target !== target || t.opaque !== opaque)
    throw b2Fail('bad_auth_token', 'Upload authorization token does not belong to this upload URL');
  const key = emu.findKey(t.keyId);
  if (!key) throw b2Fail('bad_auth_token', 'Invalid upload authorization token');
  if (t.expiresAt <= Date.now()) throw b2Fail('expired_auth_token', 'Upload authorization token has expired');
  if (t.inFlight) throw b2Fail('auth_token_limit', `more than one upload using auth token ${header}`);
  return { token: t, principal: { key, token: header } };
}

interface BodySpec {
  /** Content-Length as sent. */
  total: number;
  /** Bytes of content (total - 40 with hex_digits_at_end). */
  length: number;
  /** Expected SHA-1 (lower-case hex), 'at_end', or 'none' (do_not_verify). */
  expect: string;
}

function bodySpec(call: Call): BodySpec {
  const h = call.req.headers;
  const cl = h[H.contentLength];
  if (cl === undefined) throw b2Fail('bad_request', 'Content-Length header is required');
  if (!/^\d+$/.test(cl)) throw b2Fail('bad_request', 'Content-Length must be a number');
  const total = Number(cl);
  const sha = h[H.contentSha1];
  if (sha === undefined) throw b2Fail('bad_request', 'X-Bz-Content-Sha1 header is required');
  const s = String(sha).trim();
  let expect: string;
  let length = total;
  if (s === SHA1_AT_END) {
    if (total < 40)
      throw b2Fail('bad_request', 'Content-Length must include the 40 hex digits of the SHA-1 at the end');
    expect = 'at_end';
    length = total - 40;
  } else if (s === SHA1_DO_NOT_VERIFY) expect = 'none';
  else if (/^[0-9a-fA-F]{40}$/.test(s)) expect = s.toLowerCase();
  else throw b2Fail('bad_request', `X-Bz-Content-Sha1 is not a SHA-1, ${SHA1_AT_END} or ${SHA1_DO_NOT_VERIFY}: ${s}`);
  if (length > call.emu.opts.maxObjectBytes)
    throw b2Fail('bad_request', `content is ${length} bytes, over the ${call.emu.opts.maxObjectBytes}-byte limit`);
  return { total, length, expect };
}

interface Ingested {
  segments: Segment[];
  blob: string | undefined;
  sha1: string;
  md5: string | null;
}

/**
 * Feed each chunk of a request body to `onChunk`, in flowing mode (no promise per chunk, and the
 * parser is never paused by the stream's small buffer); pauses the body while a promise returned
 * by `onChunk` is pending. Resolves at the end of the body; rejects as `for await` over the body
 * would: with the stream's error, on a premature close, or with what `onChunk` threw or its promise
 * rejected with (and then destroys the request, as leaving a `for await` loop does).
 */
function eachChunk(req: IncomingMessage, onChunk: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.off('data', onData);
      stop();
      req.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      if (failed) return;
      let wait: Promise<void> | undefined;
      try {
        wait = onChunk(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (wait) {
        req.pause();
        wait.then(() => {
          if (!failed) req.resume();
        }, fail);
      }
    };
    const stop = finished(req, (err) => {
      if (failed) return;
      failed = true;
      req.off('data', onData);
      stop();
      if (err) reject(err);
      else resolve();
    });
    req.on('data', onData);
  });
}

/**
 * Stream the request body into a new blob, hashing inline. Verifies the SHA-1; on any failure the
 * blob is discarded. A 'drop' fault destroys the connection after about half the body.
 */
async function ingest(call: Call, spec: BodySpec, withMd5: boolean): Promise<Ingested> {
  const writer = call.emu.blobs.create();
  const sha1 = createHash('sha1');
  const md5 = withMd5 ? createHash('md5') : undefined;
  const trailer = await receiveBody(call, spec, writer, md5 ? [sha1, md5] : [sha1]);
  const stored = await checkedSha1(spec, sha1.digest('hex'), trailer, writer);
  const md5Hex = md5 ? md5.digest('hex') : null;
  if (spec.length === 0) {
    await writer.abort();
    return { segments: [], blob: undefined, sha1: stored, md5: md5Hex };
  }
  await writer.commit();
  return { segments: [{ blob: writer.id, off: 0, len: spec.length }], blob: writer.id, sha1: stored, md5: md5Hex };
}

/**
 * The body's first spec.length bytes into the writer and the hashes; what follows them (the SHA-1
 * of hex_digits_at_end) is returned. A short body, a dropped client or a 'drop' fault aborts the
 * writer and throws ConnectionDropped.
 */
async function receiveBody(call: Call, spec: BodySpec, writer: BlobWriter, hashes: Hash[]): Promise<string> {
  const { req } = call;
  const dropAt = call.fault?.kind === 'drop' ? Math.floor(spec.total / 2) : -1;
  let received = 0;
  let trailer = '';
  try {
    if (dropAt === 0) {
      req.socket.destroy();
      throw new ConnectionDropped();
    }
    await eachChunk(req, (c) => {
      let chunk = c;
      const before = received;
      received += chunk.length;
      if (received > spec.length) {
        const keep = Math.max(0, spec.length - before);
        trailer += chunk.subarray(keep).toString('latin1');
        chunk = chunk.subarray(0, keep);
      }
      let wait: Promise<void> | undefined;
      if (chunk.length) {
        for (const h of hashes) h.update(chunk);
        wait = writer.write(chunk);
      }
      if (dropAt > 0 && received >= dropAt) {
        wait?.catch(() => undefined); // the abort below settles it
        req.socket.destroy();
        throw new ConnectionDropped();
      }
      return wait;
    });
    if (received !== spec.total) throw new ConnectionDropped();
  } catch (err) {
    await writer.abort();
    if (err instanceof ConnectionDropped) throw err;
    // The client went away mid-body (or the socket broke): nothing to answer.
    if (req.destroyed || req.socket.destroyed) throw new ConnectionDropped();
    throw err;
  }
  return trailer;
}

/** The SHA-1 to store: checked against the header or the trailer (a mismatch discards the blob), or marked unverified. */
async function checkedSha1(spec: BodySpec, digest: string, trailer: string, writer: BlobWriter): Promise<string> {
  if (spec.expect === 'none') return `unverified:${digest}`;
  const expected = spec.expect === 'at_end' ? trailer.toLowerCase() : spec.expect;
  if (expected !== digest) {
    await writer.abort();
    throw b2Fail('bad_request', `Sha1 did not match data received: expected ${expected}, got ${digest}`);
  }
  return digest;
}

function splitRest(call: Call): [string, string] {
  const parts = call.pathRest.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw b2Fail('not_found', 'no such upload URL');
  try {
    return [decodeURIComponent(parts[0]), parts[1]];
  } catch {
    throw b2Fail('not_found', 'no such upload URL');
  }
}

function decodeHeader(value: string, what: string): string {
  try {
    return b2Decode(value);
  } catch {
    throw b2Fail('bad_request', `${what} is not valid percent-encoded UTF-8`);
  }
}

/** X-Bz-Info-* headers (names lower-cased, values percent-decoded). */
function infoHeaders(call: Call): Record<string, string> {
  const raw = call.req.rawHeaders;
  const info: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.startsWith(H.infoPrefix)) info[name.slice(H.infoPrefix.length)] = decodeHeader(raw[i + 1], raw[i]);
  }
  return info;
}

function uploadTimestamp(call: Call, now: number): number {
  const v = call.req.headers[H.customUploadTimestamp];
  if (v === undefined) return now;
  const s = String(v);
  if (!/^\d+$/.test(s))
    throw b2Fail('bad_request', 'X-Bz-Custom-Upload-Timestamp must be milliseconds since the epoch');
  const ts = Number(s);
  if (ts > now) throw b2Fail('bad_request', 'X-Bz-Custom-Upload-Timestamp must not be in the future');
  return ts;
}

export async function uploadFile(call: Call): Promise<unknown> {
  const { emu, req, version } = call;
  const [bucketId, opaque] = splitRest(call);
  const { token, principal } = takeUploadToken(call, bucketId, opaque, false);
  token.inFlight = true;
  try {
    emu.bucket(bucketId);
    const rawName = req.headers[H.fileName];
    if (rawName === undefined) throw b2Fail('bad_request', 'X-Bz-File-Name header is required');
    const fileName = decodeHeader(String(rawName), 'X-Bz-File-Name');
    for (const h of FORBIDDEN)
      if (req.headers[h] !== undefined) throw b2Fail('bad_request', `the ${h} header is not allowed on uploads`);
    const info = checkNameAndInfo(fileName, infoHeaders(call));
    emu.allow(principal.key, 'writeFiles', { bucketId, fileName });
    const contentType = req.headers[H.contentType];
    if (!contentType) throw b2Fail('bad_request', 'Content-Type header is required');
    const spec = bodySpec(call);
    const ts = uploadTimestamp(call, emu.controls.now());
    const body = await ingest(call, spec, true);
    if (!emu.meta.buckets.has(bucketId)) {
      if (body.blob) await emu.blobs.remove(body.blob);
      throw b2Fail('bad_bucket_id', `Invalid bucketId: ${bucketId}`);
    }
    const seq = emu.meta.takeSeq();
    const f: StoredFile = {
      fileId: newFileId(bucketId, false, seq, Date.now()),
      seq,
      bucketId,
      fileName,
      action: 'upload',
      contentLength: spec.length,
      contentSha1: body.sha1,
      contentMd5: body.md5,
      contentType: resolveContentType(contentType, fileName),
      fileInfo: info,
      uploadTimestamp: ts,
      segments: body.segments,
    };
    await emu.meta.commit({ t: 'file', f });
    emu.notify('b2:ObjectCreated:Upload', f);
    return fileShape(f, version, emu.accountId);
  } finally {
    token.inFlight = false;
  }
}

export async function uploadPart(call: Call): Promise<unknown> {
  const { emu, req } = call;
  const [fileId, opaque] = splitRest(call);
  const { token, principal } = takeUploadToken(call, fileId, opaque, true);
  token.inFlight = true;
  try {
    const large = emu.unfinished(fileId);
    emu.allow(principal.key, 'writeFiles', { bucketId: large.bucketId, fileName: large.fileName });
    const pn = req.headers[H.partNumber];
    if (pn === undefined) throw b2Fail('bad_request', 'X-Bz-Part-Number header is required');
    const partNumber = /^\d+$/.test(String(pn)) ? Number(pn) : NaN;
    if (!(partNumber >= 1 && partNumber <= LIMITS.maxParts))
      throw b2Fail('bad_request', `Part number must be in range 1 - ${LIMITS.maxParts}`);
    const spec = bodySpec(call);
    const body = await ingest(call, spec, false);
    if (emu.meta.files.get(fileId)?.action !== 'start') {
      if (body.blob) await emu.blobs.remove(body.blob);
      throw b2Fail('bad_request', `No active upload for: ${fileId}`);
    }
    const part: StoredPart = {
      partNumber,
      contentLength: spec.length,
      contentSha1: body.sha1,
      contentMd5: null,
      uploadTimestamp: Date.now(),
      segments: body.segments,
    };
    await emu.meta.commit({ t: 'part', id: fileId, p: part });
    return partShape(fileId, part);
  } finally {
    token.inFlight = false;
  }
}
