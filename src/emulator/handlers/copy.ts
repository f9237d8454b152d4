/**
 * b2_copy_file and b2_copy_part (b2-api.md §8). Copies never duplicate bytes: the new version or part
 * refers to the source's blobs through segments. Hashes are computed by reading the range when the
 * source's own SHA-1 does not describe it.
 */
import { createHash } from 'node:crypto';
import { LIMITS } from '../../core/limits.js';
import { b2Fail } from '../errors.js';
import type { Call, Principal } from '../emulator.js';
import { checkNameAndInfo, resolveContentType } from '../file-info.js';
import { newFileId } from '../ids.js';
import { fileShape, partShape } from '../shapes.js';
import { readSegments, sliceSegments, type Segment } from '../store/blobs.js';
import type { StoredFile, StoredPart } from '../store/records.js';

/** The source version, with read access checked (readFiles unless its bucket is public). */
function copySource(call: Call, p: Principal): StoredFile {
  const { emu } = call;
  const id = call.params.reqStr('sourceFileId');
  const src = emu.meta.files.get(id);
  if (!src || src.action !== 'upload') throw b2Fail('bad_request', `Invalid sourceFileId: ${id}`);
  const bucket = emu.meta.buckets.get(src.bucketId);
  if (bucket?.bucketType !== 'allPublic')
    emu.allow(p.key, 'readFiles', { bucketId: src.bucketId, fileName: src.fileName });
  return src;
}

/** `range` (bytes=a-b, inclusive) → [start, end) within `size`. */
function copyRange(call: Call, size: number): [number, number] {
  const range = call.params.str('range');
  if (range === undefined) return [0, size];
  const m = /^bytes=(\d+)-(\d+)$/.exec(range.trim());
  if (!m) throw b2Fail('bad_request', `range must look like bytes=<first>-<last>: ${range}`);
  const start = Number(m[1]);
  const last = Number(m[2]);
  if (last < start) throw b2Fail('bad_request', `invalid range: ${range}`);
  if (start >= size) throw b2Fail('range_not_satisfiable', `range ${range} is beyond the ${size}-byte source`);
  return [start, Math.min(last + 1, size)];
}

async function hashSegments(
  call: Call,
  segments: Segment[],
  length: number,
  withMd5: boolean,
): Promise<{ sha1: string; md5: string | null }> {
  const sha1 = createHash('sha1');
  const md5 = withMd5 ? createHash('md5') : undefined;
  for await (const chunk of readSegments(call.emu.blobs, segments, 0, length)) {
    sha1.update(chunk);
    md5?.update(chunk);
  }
  return { sha1: sha1.digest('hex'), md5: md5 ? md5.digest('hex') : null };
}

export async function copyFile(call: Call): Promise<unknown> {
  const { emu, params, version } = call;
  const p = emu.accountToken(call);
  const src = copySource(call, p);
  const fileName = params.reqStr('fileName');
  const destBucketId = params.str('destinationBucketId') ?? src.bucketId;
  const directive = params.str('metadataDirective') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE')
    throw b2Fail('bad_request', 'metadataDirective must be COPY or REPLACE');
  const contentType = params.str('contentType');
  const fileInfo = params.strMap('fileInfo');
  if (directive === 'COPY' && contentType !== undefined)
    throw b2Fail('bad_request', 'contentType must not be set when metadataDirective is COPY');
  if (directive === 'COPY' && fileInfo !== undefined)
    throw b2Fail('bad_request', 'fileInfo must not be set when metadataDirective is COPY');
  if (directive === 'REPLACE' && contentType === undefined)
    throw b2Fail('bad_request', 'contentType is required when metadataDirective is REPLACE');
  const info = checkNameAndInfo(fileName, directive === 'REPLACE' ? (fileInfo ?? {}) : src.fileInfo);
  emu.allow(p.key, 'writeFiles', { bucketId: destBucketId, fileName });
  emu.bucket(destBucketId);
  const [start, end] = copyRange(call, src.contentLength);
  const length = end - start;
  if (length > emu.opts.maxObjectBytes) throw b2Fail('source_too_large', `Copy source too big: ${length}`);
  const segments = sliceSegments(src.segments, start, end);
  const whole = start === 0 && end === src.contentLength;
  const hashes =
    whole && src.contentSha1 !== 'none' && src.contentSha1 !== null
      ? { sha1: src.contentSha1, md5: src.contentMd5 }
      : await hashSegments(call, segments, length, true);
  const now = emu.controls.now();
  const seq = emu.meta.takeSeq();
  const f: StoredFile = {
    fileId: newFileId(destBucketId, false, seq, now),
    seq,
    bucketId: destBucketId,
    fileName,
    action: 'upload',
    contentLength: length,
    contentSha1: hashes.sha1,
    contentMd5: hashes.md5,
    contentType: directive === 'REPLACE' ? resolveContentType(contentType!, fileName) : src.contentType,
    fileInfo: info,
    uploadTimestamp: now,
    segments,
  };
  // Hashing may have yielded: the source and the destination bucket must still be there.
  if (!emu.meta.files.has(src.fileId)) throw b2Fail('bad_request', `Invalid sourceFileId: ${src.fileId}`);
  emu.bucket(destBucketId);
  await emu.meta.commit({ t: 'file', f });
  emu.notify('b2:ObjectCreated:Copy', f);
  return fileShape(f, version, emu.accountId, 'copy');
}

export async function copyPart(call: Call): Promise<unknown> {
  const { emu, params } = call;
  const p = emu.accountToken(call);
  const src = copySource(call, p);
  const largeFileId = params.reqStr('largeFileId');
  const partNumber = params.reqInt('partNumber');
  if (partNumber < 1 || partNumber > LIMITS.maxParts)
    throw b2Fail('bad_request', `Part number must be in range 1 - ${LIMITS.maxParts}`);
  const large = emu.unfinished(largeFileId);
  emu.allow(p.key, 'writeFiles', { bucketId: large.bucketId, fileName: large.fileName });
  const [start, end] = copyRange(call, src.contentLength);
  const length = end - start;
  if (length > emu.opts.maxObjectBytes) throw b2Fail('source_too_large', `Copy source too big: ${length}`);
  const segments = sliceSegments(src.segments, start, end);
  const whole = start === 0 && end === src.contentLength;
  const sha1 =
    whole && src.contentSha1 && src.contentSha1 !== 'none'
      ? src.contentSha1.replace(/^unverified:/, '')
      : (await hashSegments(call, segments, length, false)).sha1;
  if (emu.meta.files.get(largeFileId)?.action !== 'start')
    throw b2Fail('bad_request', `No active upload for: ${largeFileId}`);
  if (!emu.meta.files.has(src.fileId)) throw b2Fail('bad_request', `Invalid sourceFileId: ${src.fileId}`);
  const part: StoredPart = {
    partNumber,
    contentLength: length,
    contentSha1: sha1,
    contentMd5: null,
    uploadTimestamp: Date.now(),
    segments,
  };
  await emu.meta.commit({ t: 'part', id: largeFileId, p: part });
  return partShape(largeFileId, part);
}
