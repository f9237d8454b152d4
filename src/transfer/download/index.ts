/**
 * Downloads: streamed into a temporary file beside the target, SHA-1 verified, renamed into place.
 *
 * - The temp file is `<target>.<12 hex of sha1(fileId)>.b2sync-tmp`, so a later attempt for the same
 *   version finds it and continues with a Range request from its length (the kept bytes are hashed
 *   first). Bytes are hashed only after they are written, so the kept prefix and the hash agree
 *   (temp-file.ts, temp-fill.ts).
 * - A body cut short is continued with a Range request from the last byte written (range-fetch.ts).
 * - Files at or above downloadParallelCutoff are fetched over downloadStreams connections, as pieces
 *   of up to 32 MiB handed out in file order and written at their positions, so the file fills from
 *   the front. The part complete from byte 0 is recorded after each piece in a prefix note beside the
 *   temp file (`<temp>.prefix.b2sync-tmp`); a stopped parallel download is truncated to that prefix and
 *   kept, and after a killed process the note bounds what is kept. A resumed download whose remainder
 *   is above the cutoff is parallel too (parallel-fetch.ts).
 * - Hashing, in file order: a batch written where the hash has got to is hashed from the buffers just
 *   written; bytes written further on (other streams' pieces, the kept prefix of a resumed download)
 *   are read back once the file is complete up to them. A single-stream download reads nothing back
 *   except a kept prefix. From bigDownloadCutoff bytes to fetch (64 MiB) this runs on a worker thread
 *   (WorkerHasher: batches copied into a shared ring), below it on this thread (PrefixHasher).
 * - With the opt-in tuning `directIo: true`, downloads write with O_DIRECT where allowed, past the
 *   page cache (file-writer.ts, pump.ts); the hash worker then reads back with O_DIRECT too. Default off.
 * - The expected SHA-1 is X-Bz-Content-Sha1, or for large files ("none") the large_file_sha1 info;
 *   "unverified:" is stripped. A mismatch (or a temp file of the wrong length) is an IntegrityError: the
 *   temp is removed, the target left as it was, and the whole file fetched again from byte 0, up to
 *   --retries times (client.retryPolicy) before the IntegrityError is thrown. A large file fetched in
 *   parallel ranges is checked once, at the end, against large_file_sha1, so which range was damaged is
 *   unknown: it is all fetched again.
 *   When B2 has no SHA-1 for the file, nothing is hashed and the result says sha1Verified: false
 *   (verify.ts).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { B2Api, DownloadResponse } from '../../client/api.js';
import { throwIfAborted } from '../../core/abort.js';
import { B2Error, IntegrityError } from '../../core/errors.js';
import { retrying } from '../../client/retry.js';
import { ProgressTracker } from '../progress.js';
import { DEFAULTS, type DownloadSource, type Progress, type TransferTuning } from '../types.js';
import { ParallelFetch, type ParallelState } from './parallel-fetch.js';
import { fetchSingle, openResumed } from './range-fetch.js';
import { TempFill } from './temp-fill.js';
import {
  abandonTemp,
  commitTemp,
  diskFullError,
  isDiskFull,
  prefixNoteFor,
  removeStaleTemps,
  tempPathFor,
} from './temp-file.js';
import { checkDigest, checkLength, expectedSha1, VerifyingStream } from './verify.js';

export { TEMP_SUFFIX, tempPathFor, prefixNoteFor, syncDir } from './temp-file.js';
export { expectedSha1 } from './verify.js';

export interface DownloadToFileParams {
  source: DownloadSource;
  localPath: string;
  tuning?: TransferTuning;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface DownloadResult {
  bytes: number;
  /** False when B2 holds no SHA-1 for the file (a large file without large_file_sha1). */
  sha1Verified: boolean;
  /** Whether the bytes were written with O_DIRECT, past the page cache (tuning.directIo, where allowed). */
  directIo: boolean;
  fileVersion: { fileId: string; fileName: string; contentSha1: string; info: Record<string, string> };
}

/** How to fetch the `total - offset` bytes left: over how many streams, hashed where, written how. */
function planDownload(tuning: TransferTuning | undefined, total: number, offset: number) {
  const streams = Math.max(1, tuning?.downloadStreams ?? DEFAULTS.downloadStreams);
  const parallelCutoff = tuning?.downloadParallelCutoff ?? DEFAULTS.downloadParallelCutoff;
  // A resumed download goes parallel too when what is left is above the cutoff.
  const parallel = streams > 1 && total - offset >= parallelCutoff && total - offset >= streams;
  // Big downloads hash on a worker thread; with tuning.directIo, writes go past the page cache (see FileWriter).
  const big = total - offset >= (tuning?.bigDownloadCutoff ?? DEFAULTS.bigDownloadCutoff);
  return { streams, parallel, big, direct: tuning?.directIo === true };
}

export async function downloadToFile(client: B2Api, p: DownloadToFileParams): Promise<DownloadResult> {
  throwIfAborted(p.signal);
  const target = resolve(p.localPath);
  await mkdir(dirname(target), { recursive: true });
  // Bytes damaged on the way (a SHA-1 or length mismatch: IntegrityError) are fetched again, whole,
  // within the client's retry budget (--retries); every other failure was retried where it happened.
  const r = await retrying(() => downloadOnce(client, p, target), {
    signal: p.signal,
    policy: client.retryPolicy,
    classify: (err) => (err instanceof IntegrityError ? 'retry' : 'fail'),
  });
  await removeStaleTemps(target, r.temp);
  return r.result;
}

/** One attempt: fetch into the temp file (continuing a kept one), verify, rename into place. */
async function downloadOnce(
  client: B2Api,
  p: DownloadToFileParams,
  target: string,
): Promise<{ result: DownloadResult; temp: string }> {
  const { first, offset } = await openResumed(client, p.source, target, p.signal);
  const fileId = first.fileId;
  const temp = tempPathFor(target, fileId);
  const total = first.totalLength;
  const expected = expectedSha1(first);
  const meta = { fileId, fileName: first.fileName, contentSha1: first.contentSha1, info: first.info };
  const progress = new ProgressTracker(p.onProgress, total);
  const { streams, parallel, big, direct } = planDownload(p.tuning, total, offset);
  const state: ParallelState = { prefix: offset };
  const fill = new TempFill({ temp, offset, total, hashed: expected !== undefined, big, direct, progress });
  let directIo = false;
  try {
    const out = await fill.open();
    const hasher = fill.hasher;
    const fetch = { client, fileId, out, start: offset, total, progress, hasher, signal: p.signal };
    if (parallel) {
      await new ParallelFetch({ ...fetch, streams, note: prefixNoteFor(temp), state }).run(first.body);
    } else await fetchSingle({ ...fetch, first: first.body, temp });
    const done = await fill.finish(p.tuning?.fsync);
    directIo = done.directIo;
    const label = `${meta.fileName} (${fileId})`;
    checkLength(total, done.size, label);
    checkDigest(expected, done.digest, label);
    await commitTemp(temp, target, meta.info, p.tuning?.fsync);
  } catch (err) {
    first.body.destroy();
    // A parallel download keeps the part complete from byte 0 (the pieces beyond are dropped).
    await fill.abandon(parallel ? state.prefix : undefined);
    await abandonTemp(temp, err);
    throw isDiskFull(err) ? diskFullError(target, err) : err;
  }
  return { result: { bytes: total, sha1Verified: expected !== undefined, directIo, fileVersion: meta }, temp };
}

/**
 * A byte range of a file as a stream (for `cat`). The whole file (no offset, no count) is verified
 * against its SHA-1 at the end (the stream errors with IntegrityError); partial ranges cannot be.
 * An offset past the end gives an empty stream.
 */
export async function downloadRange(
  client: B2Api,
  p: { source: DownloadSource; offset?: number; count?: number; signal?: AbortSignal },
): Promise<Readable> {
  const offset = p.offset ?? 0;
  if (p.count === 0) return Readable.from([]);
  const ranged = offset > 0 || p.count !== undefined;
  const range = ranged ? { start: offset, end: p.count !== undefined ? offset + p.count - 1 : undefined } : undefined;
  let r: DownloadResponse;
  try {
    r =
      'fileId' in p.source
        ? await client.downloadById(p.source.fileId, { range, signal: p.signal })
        : await client.downloadByName(p.source.bucketName, p.source.fileName, { range, signal: p.signal });
  } catch (err) {
    if (err instanceof B2Error && err.status === 416) return Readable.from([]);
    throw err;
  }
  const expected = expectedSha1(r);
  if (r.status === 200 && expected !== undefined && (!ranged || r.contentLength === r.totalLength)) {
    const v = new VerifyingStream(expected, r.fileName);
    r.body.on('error', (e) => v.destroy(e));
    return r.body.pipe(v);
  }
  return r.body;
}
