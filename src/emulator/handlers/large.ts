/** Large files: start, part upload URLs, finish, cancel, list parts (b2-api.md §7). */
import { LIMITS } from '../../core/limits.js';
import { normalizeSha1 } from '../../core/sha1.js';
import { b2Fail } from '../errors.js';
import type { Call, Principal } from '../emulator.js';
import { checkNameAndInfo, resolveContentType } from '../file-info.js';
import { newFileId, randomHex } from '../ids.js';
import { fileShape, partShape } from '../shapes.js';
import type { Segment } from '../store/blobs.js';
import type { StoredFile, StoredPart } from '../store/records.js';

/** The caller's unfinished large file `fileId`, with writeFiles checked on its bucket and name. */
function writableUnfinished(call: Call, fileId: string): { f: StoredFile; p: Principal } {
  const p = call.emu.accountToken(call);
  const f = call.emu.unfinished(fileId);
  call.emu.allow(p.key, 'writeFiles', { bucketId: f.bucketId, fileName: f.fileName });
  return { f, p };
}

export async function startLargeFile(call: Call): Promise<unknown> {
  const { emu, params, version } = call;
  const bucketId = params.reqStr('bucketId');
  const fileName = params.reqStr('fileName');
  const contentType = params.reqStr('contentType');
  const info = checkNameAndInfo(fileName, params.strMap('fileInfo') ?? {});
  emu.require(call, 'writeFiles', { bucketId, fileName });
  emu.bucket(bucketId);
  const now = emu.controls.now();
  const seq = emu.meta.takeSeq();
  const f: StoredFile = {
    fileId: newFileId(bucketId, true, seq, now),
    seq,
    bucketId,
    fileName,
    action: 'start',
    contentLength: 0,
    contentSha1: 'none',
    contentMd5: null,
    contentType: resolveContentType(contentType, fileName),
    fileInfo: info,
    uploadTimestamp: now,
    segments: [],
  };
  await emu.meta.commit({ t: 'file', f });
  return fileShape(f, version, emu.accountId);
}

export function getUploadPartUrl(call: Call): unknown {
  const { emu, params, version } = call;
  const fileId = params.reqStr('fileId');
  const { p } = writableUnfinished(call, fileId);
  const opaque = randomHex(12);
  const authorizationToken = emu.tokens.issue(emu.accountId, {
    kind: 'upload',
    keyId: p.key.applicationKeyId,
    expiresAt: Date.now() + emu.tokenTtlMs(p.key),
    target: fileId,
    part: true,
    opaque,
    inFlight: false,
  });
  return {
    fileId,
    uploadUrl: `${call.baseUrl}/b2api/${version}/b2_upload_part/${fileId}/${opaque}`,
    authorizationToken,
  };
}

const SHA1_HEX = /^[0-9a-fA-F]{40}$/;

/**
 * The parts `partSha1Array` names, checked in this order (docs/emulator.md "Error answers"): an entry
 * that is not a SHA-1 (400 bad_request); a part it names that was never uploaded (missing_part); an
 * uploaded part it leaves out, or a SHA-1 that differs (part_sha1_mismatch); a part other than the last
 * below the minimum part size (bad_request).
 */
function finishedParts(call: Call, fileId: string, sha1s: string[]): { segments: Segment[]; total: number } {
  const { emu } = call;
  if (sha1s.length === 0) throw b2Fail('bad_request', 'partSha1Array must not be empty');
  if (sha1s.length > LIMITS.maxParts) throw b2Fail('bad_request', `a large file has at most ${LIMITS.maxParts} parts`);
  sha1s.forEach((s, i) => {
    if (!SHA1_HEX.test(s)) throw b2Fail('bad_request', `partSha1Array[${i}] is not a SHA-1: ${s}`);
  });
  const parts = emu.meta.parts.get(fileId) ?? new Map<number, StoredPart>();
  for (let n = 1; n <= sha1s.length; n++)
    if (!parts.has(n)) throw b2Fail('missing_part', `Part number ${n} has not been uploaded`);
  const beyond = Math.max(0, ...parts.keys());
  if (beyond > sha1s.length)
    throw b2Fail(
      'part_sha1_mismatch',
      `Part number ${beyond} was uploaded but partSha1Array has only ${sha1s.length} entries`,
    );
  const segments: Segment[] = [];
  let total = 0;
  for (let n = 1; n <= sha1s.length; n++) {
    const part = parts.get(n)!;
    const actual = normalizeSha1(part.contentSha1);
    if (actual !== sha1s[n - 1].toLowerCase())
      throw b2Fail('part_sha1_mismatch', `Part number ${n} has SHA-1 ${actual}, not ${sha1s[n - 1]}`);
    total += part.contentLength;
    segments.push(...part.segments);
  }
  for (let n = 1; n < sha1s.length; n++) {
    const size = parts.get(n)!.contentLength;
    if (size < emu.opts.minPartSize)
      throw b2Fail(
        'bad_request',
        `Part number ${n} is ${size} bytes, smaller than the minimum part size ${emu.opts.minPartSize}`,
      );
  }
  return { segments, total };
}

export async function finishLargeFile(call: Call): Promise<unknown> {
  const { emu, params, version } = call;
  const fileId = params.reqStr('fileId');
  const sha1s = params.reqStrArray('partSha1Array');
  const { f } = writableUnfinished(call, fileId);
  const { segments, total } = finishedParts(call, fileId, sha1s);
  const done: StoredFile = {
    ...f,
    action: 'upload',
    contentLength: total,
    contentSha1: 'none',
    contentMd5: null,
    segments,
  };
  await emu.meta.commit({ t: 'file', f: done });
  emu.notify('b2:ObjectCreated:MultipartUpload', done);
  return fileShape(done, version, emu.accountId);
}

export async function cancelLargeFile(call: Call): Promise<unknown> {
  const { emu, params } = call;
  const fileId = params.reqStr('fileId');
  const { f } = writableUnfinished(call, fileId);
  await emu.meta.commit({ t: '-file', id: fileId });
  return { fileId, accountId: emu.accountId, bucketId: f.bucketId, fileName: f.fileName };
}

export function listParts(call: Call): unknown {
  const { emu, params } = call;
  const fileId = params.reqStr('fileId');
  writableUnfinished(call, fileId);
  const start = params.int('startPartNumber') ?? 1;
  if (start < 1 || start > LIMITS.maxParts)
    throw b2Fail('bad_request', `startPartNumber must be between 1 and ${LIMITS.maxParts}`);
  const max = params.int('maxPartCount') ?? 100;
  if (max < 1 || max > LIMITS.maxListPartCount)
    throw b2Fail('out_of_range', `maxPartCount must be between 1 and ${LIMITS.maxListPartCount}`);
  const numbers = [...(emu.meta.parts.get(fileId)?.keys() ?? [])].filter((n) => n >= start).sort((a, b) => a - b);
  const page = numbers.slice(0, max);
  const parts = emu.meta.parts.get(fileId);
  call.returned = page.length;
  return {
    parts: page.map((n) => partShape(fileId, parts!.get(n)!)),
    nextPartNumber: numbers.length > max ? numbers[max] : null,
  };
}
