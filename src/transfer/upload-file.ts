/** Upload a local file: one b2_upload_file below the cutoff, else a (resumable) large file. */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { B2Api } from '../client/api.js';
import { LIMITS } from '../core/limits.js';
import { isSha1Hex } from '../core/sha1.js';
import { INFO_LARGE_FILE_SHA1, INFO_SRC_LAST_MODIFIED } from '../wire/headers.js';
import type { FileVersion, Part } from '../wire/types.js';
import { fileRangeBody, sha1OfFileRange } from './file-range.js';
import { completeLargeFile, type PartJob } from './large-upload.js';
import { atLeastTwoParts, checkFileSize, choosePartSize, partRanges } from './part-plan.js';
import { ProgressTracker } from './progress.js';
import { sleep, throwIfAborted } from '../core/abort.js';
import { checkUnchanged, SETTLE_MS, settled, SourceChangedError, type SourceIdentity } from './source-identity.js';
import { uploadWhole } from './upload-whole.js';
import { DEFAULTS, INFO_SRC_SIZE, type Progress, type TransferTuning } from './types.js';

export interface UploadLocalFileParams {
  bucketId: string;
  fileName: string;
  localPath: string;
  /** Default b2/x-auto (B2 picks from the name's extension). */
  contentType?: string;
  info?: Record<string, string>;
  tuning?: TransferTuning;
  /** Continue a matching unfinished large file left by an earlier attempt; default true. */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /**
   * The size and mtime (whole ms) the caller already knows (a sync's listing), to save a stat. A small
   * file is then read into memory in one read and hashed; if it no longer has knownSize bytes the
   * upload fails (nothing is sent). Both are needed; larger files are stat'ed as usual.
   */
  knownSize?: number;
  knownMtimeMs?: number;
  /**
   * The whole file's SHA-1 as computed earlier (a --checksum sync) for this size and mtime. A large
   * upload records it as large_file_sha1, so later downloads and compares can check it, but only when
   * the file still has that size and mtime when the upload starts.
   */
  knownSha1?: { sha1: string; size: number; mtimeMs: number };
}

/** Files below this size (and the small-file cutoff) whose size is known are read whole into memory. */
export const SMALL_READ_MAX = 1024 * 1024;

/**
 * A local mtime as whole milliseconds, rounded to the nearest: utimes() takes seconds as a double, so
 * a time set from src_last_modified_millis (by a download) reads back a few ns off the millisecond.
 */
export function localMtimeMillis(mtimeNs: bigint): number {
  return Number((mtimeNs + 500_000n) / 1_000_000n);
}

/** Waits before the attempts after a source change (ms): about 6 s in all for the file to settle. */
const SETTLE_WAITS = [SETTLE_MS, 200, 400, 800, 1600, 3200];

/**
 * Upload a local file. One whose bytes change while they are read (size, times or inode differ from
 * the start of the attempt) is never stored torn: that attempt fails before its last byte reaches B2
 * (a large file is cancelled), and the upload starts again once the file has settled; a file that
 * keeps changing fails with a SourceChangedError naming it.
 */
export async function uploadLocalFile(client: B2Api, p: UploadLocalFileParams): Promise<FileVersion> {
  for (let attempt = 0; ; attempt++) {
    try {
      // After a change the caller's size and mtime are stale: stat the file again.
      return await uploadOnce(client, attempt === 0 ? p : { ...p, knownSize: undefined, knownMtimeMs: undefined });
    } catch (err) {
      if (!(err instanceof SourceChangedError)) throw err;
      const wait = SETTLE_WAITS[attempt];
      if (wait === undefined)
        throw new SourceChangedError(
          `${err.message}; it kept changing over ${attempt + 1} attempts, so nothing was stored: upload it once it is no longer written to`,
        );
      await sleep(wait, p.signal);
    }
  }
}

async function uploadOnce(client: B2Api, p: UploadLocalFileParams): Promise<FileVersion> {
  throwIfAborted(p.signal);
  const known = p.knownSize;
  if (
    known !== undefined &&
    p.knownMtimeMs !== undefined &&
    Number.isSafeInteger(known) &&
    known >= 0 &&
    known < SMALL_READ_MAX
  ) {
    const cutoff = Math.min(p.tuning?.largeFileCutoff ?? DEFAULTS.largeFileCutoff, LIMITS.maxSimpleUploadBytes);
    if (known < cutoff)
      return uploadSmallBuffered(client, p, known, { [INFO_SRC_LAST_MODIFIED]: String(p.knownMtimeMs), ...p.info });
  }
  const st = await stat(p.localPath, { bigint: true });
  if (!st.isFile()) throw new Error(`${p.localPath} is not a regular file`);
  const id = await settled(p.localPath, () => stat(p.localPath, { bigint: true }), p.signal, st);
  const size = Number(st.size);
  checkFileSize(size); // before any call
  const mtime = localMtimeMillis(st.mtimeNs);
  const info: Record<string, string> = { [INFO_SRC_LAST_MODIFIED]: String(mtime), ...p.info };
  const cutoff = Math.min(p.tuning?.largeFileCutoff ?? DEFAULTS.largeFileCutoff, LIMITS.maxSimpleUploadBytes);

  if (size < cutoff) return uploadSmall(client, p, { size, id }, info);
  const k = p.knownSha1;
  if (k && k.size === size && k.mtimeMs === mtime && isSha1Hex(k.sha1) && info[INFO_LARGE_FILE_SHA1] === undefined) {
    info[INFO_LARGE_FILE_SHA1] = k.sha1;
  }
  const account = await client.account();
  const planned = choosePartSize({
    fileSize: size,
    recommended: account.recommendedPartSize,
    minimum: account.absoluteMinimumPartSize,
    requested: p.tuning?.partSize,
  });
  const partSize = atLeastTwoParts(size, planned, account.absoluteMinimumPartSize);
  if (partSize === undefined && size <= LIMITS.maxSimpleUploadBytes) return uploadSmall(client, p, { size, id }, info);
  return uploadLarge(
    client,
    p,
    { size, id },
    { planned: partSize ?? planned, minimum: account.absoluteMinimumPartSize },
    { ...info, [INFO_SRC_SIZE]: String(size) },
  );
}

/** The file being uploaded: its size and its identity when the attempt started. */
interface Source {
  size: number;
  id: SourceIdentity;
}

function uploadSmall(
  client: B2Api,
  p: UploadLocalFileParams,
  { size, id }: Source,
  info: Record<string, string>,
): Promise<FileVersion> {
  return uploadWhole(
    client,
    p,
    { body: size === 0 ? Buffer.alloc(0) : fileRangeBody(p.localPath, 0, size, id), size },
    info,
  );
}

/**
 * Read the whole file (expected: `size` bytes) in one read; fail if it now has another size, and with
 * a SourceChangedError when it was being written to or changed during the read.
 */
async function readExactly(path: string, size: number, signal?: AbortSignal): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const id = await settled(path, () => fh.stat({ bigint: true }), signal);
    // One byte more than expected: a file that grew is caught by the same read.
    const buf = Buffer.allocUnsafe(size + 1);
    let got = 0;
    while (got <= size) {
      const { bytesRead } = await fh.read(buf, got, size + 1 - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    throwIfAborted(signal);
    checkUnchanged(id, await fh.stat({ bigint: true }));
    // The size the caller listed is stale (a rewrite since): read it again from a fresh stat, once it settles.
    if (got !== size)
      throw new SourceChangedError(
        `${path} changed since it was listed: expected ${size} bytes, found ${got > size ? 'more' : got}`,
      );
    return buf.subarray(0, size);
  } finally {
    await fh.close();
  }
}

/** A small file whose size is known: one read into memory, SHA-1 over exactly those bytes, one upload. */
async function uploadSmallBuffered(
  client: B2Api,
  p: UploadLocalFileParams,
  size: number,
  info: Record<string, string>,
): Promise<FileVersion> {
  const body = await readExactly(p.localPath, size, p.signal);
  return uploadWhole(client, p, { body, size, sha1: createHash('sha1').update(body).digest('hex') }, info);
}

/** Does an unfinished large file carry the same source identity? */
function sameSource(f: FileVersion, fileName: string, info: Record<string, string>): boolean {
  if (f.fileName !== fileName || !f.fileId) return false;
  const fi = f.fileInfo ?? {};
  if (fi[INFO_SRC_LAST_MODIFIED] !== info[INFO_SRC_LAST_MODIFIED] || fi[INFO_SRC_SIZE] !== info[INFO_SRC_SIZE])
    return false;
  if (info[INFO_LARGE_FILE_SHA1] !== undefined && fi[INFO_LARGE_FILE_SHA1] !== info[INFO_LARGE_FILE_SHA1]) return false;
  return true;
}

/** The newest unfinished large file for this name and source, with its parts. */
async function findResumable(
  client: B2Api,
  bucketId: string,
  fileName: string,
  info: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ match?: { fileId: string; parts: Map<number, Part> }; stale: string[] }> {
  let match: FileVersion | undefined;
  const ours: string[] = [];
  for await (const f of client.listUnfinishedLargeFiles(bucketId, { namePrefix: fileName, signal })) {
    if (f.fileName !== fileName || !f.fileId) continue;
    if (f.fileInfo?.[INFO_SRC_SIZE] !== undefined) ours.push(f.fileId);
    if (sameSource(f, fileName, info)) match = f; // oldest first: keep the newest
  }
  const stale = ours.filter((id) => id !== match?.fileId);
  if (!match?.fileId) return { stale };
  const parts = new Map<number, Part>();
  for await (const part of client.listParts(match.fileId, { signal })) parts.set(part.partNumber, part);
  return { match: { fileId: match.fileId, parts }, stale };
}

/** Where a large upload starts: an earlier attempt's file and parts (and its cut), or afresh; stale attempts. */
interface ResumePlan {
  fileId?: string;
  existing: Map<number, Part>;
  partSize: number;
  stale: string[];
}

/** Find an earlier attempt to continue, keeping its part size when its parts line up with this file. */
async function planResume(
  client: B2Api,
  p: UploadLocalFileParams,
  info: Record<string, string>,
  cut: { size: number; planned: number; minimum: number },
): Promise<ResumePlan> {
  const { size, planned, minimum } = cut;
  const plan: ResumePlan = { existing: new Map(), partSize: planned, stale: [] };
  if (!(p.resume ?? true)) return plan;
  const { match: found, stale } = await findResumable(client, p.bucketId, p.fileName, info, p.signal);
  plan.stale = stale;
  if (!found) return plan;
  // Keep the earlier attempt's cut so its parts line up with ours.
  const first = found.parts.get(1)?.contentLength;
  if (
    first !== undefined &&
    first >= minimum &&
    first <= LIMITS.maxPartBytes &&
    first < size &&
    Math.ceil(size / first) <= LIMITS.maxParts
  ) {
    plan.partSize = first;
  }
  // Parts past the end of this cut could not be finished: start afresh instead (and drop that one).
  const highest = Math.max(0, ...found.parts.keys());
  if (highest <= Math.ceil(size / plan.partSize)) {
    plan.fileId = found.fileId;
    plan.existing = found.parts;
  } else {
    stale.push(found.fileId);
    plan.partSize = planned;
  }
  return plan;
}

async function uploadLarge(
  client: B2Api,
  p: UploadLocalFileParams,
  { size, id }: Source,
  { planned, minimum }: { planned: number; minimum: number },
  info: Record<string, string>,
): Promise<FileVersion> {
  const resume = p.resume ?? true;
  const { existing, partSize, stale, ...plan } = await planResume(client, p, info, { size, planned, minimum });
  let fileId = plan.fileId;
  throwIfAborted(p.signal);
  if (!fileId) {
    // Abortable: a large file started but not seen is found and continued (or cancelled) by the next attempt.
    const started = await client.startLargeFile({
      bucketId: p.bucketId,
      fileName: p.fileName,
      contentType: p.contentType,
      info,
      signal: p.signal,
    });
    fileId = started.fileId!;
  }
  const total = Math.ceil(size / partSize);
  const progress = new ProgressTracker(p.onProgress, size, total);
  const path = p.localPath;
  function* jobs(): Generator<PartJob> {
    for (const r of partRanges(size, partSize)) {
      const prior = existing.get(r.partNumber);
      yield {
        partNumber: r.partNumber,
        length: r.length,
        body: fileRangeBody(path, r.start, r.length, id),
        existingSha1: prior && prior.contentLength === r.length ? prior.contentSha1 : undefined,
        localSha1: (signal) => sha1OfFileRange(path, r.start, r.length, signal, id),
      };
    }
  }
  const done = await completeLargeFile(client, fileId, jobs(), {
    concurrency: p.tuning?.partConcurrency ?? DEFAULTS.partConcurrency,
    signal: p.signal,
    progress,
    keepOnAbort: resume,
  });
  // Earlier b2sync attempts at this name from a source that has since changed can never be resumed.
  for (const id of stale) await client.cancelLargeFile(id).catch(() => undefined);
  return done;
}
