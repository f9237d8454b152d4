/**
 * Downloads: streamed into a temporary file beside the target, SHA-1 verified, renamed into place.
 *
 * - The temp file is `<target>.<12 hex of sha1(fileId)>.b2sync-tmp`, so a later attempt for the same
 *   version finds it and continues with a Range request from its length (the kept bytes are hashed
 *   first). Bytes are hashed only after they are written, so the kept prefix and the hash agree.
 * - A body cut short is continued with a Range request from the last byte written (a few times).
 * - Files at or above downloadParallelCutoff are fetched over downloadStreams connections, as pieces
 *   of up to 32 MiB handed out in file order and written at their positions, so the file fills from
 *   the front. The part complete from byte 0 is recorded after each piece in a prefix note beside the
 *   temp file (`<temp>.prefix.b2sync-tmp`); a stopped parallel download is truncated to that prefix and
 *   kept, and after a killed process the note bounds what is kept. A resumed download whose remainder
 *   is above the cutoff is parallel too.
 * - Hashing, in file order: a batch written where the hash has got to is hashed from the buffers just
 *   written; bytes written further on (other streams' pieces, the kept prefix of a resumed download)
 *   are read back once the file is complete up to them. A single-stream download reads nothing back
 *   except a kept prefix. From downloadHashWorkerCutoff bytes to fetch (64 MiB) this runs on a worker thread
 *   (WorkerHasher: batches copied into a shared ring), below it on this thread (PrefixHasher).
 * - The expected SHA-1 is X-Bz-Content-Sha1, or for large files ("none") the large_file_sha1 info;
 *   "unverified:" is stripped. A mismatch throws IntegrityError, removes the temp, leaves the target.
 *   When B2 has no SHA-1 for the file, nothing is hashed and the result says sha1Verified: false.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { B2Api, DownloadResponse } from '../client/api.js';
import { B2Error, IntegrityError, NotFoundError, isAbortError } from '../core/errors.js';
import { isSha1Hex, normalizeSha1 } from '../core/sha1.js';
import { INFO_LARGE_FILE_SHA1, INFO_SRC_LAST_MODIFIED } from '../wire/headers.js';
import { PrefixHasher } from './prefix-hasher.js';
import { WorkerHasher } from './worker-hasher.js';
import { ProgressTracker } from './progress.js';
import { abortError, linkedSignal, sleep, throwIfAborted } from './signals.js';
import { DEFAULTS, type DownloadSource, type Progress, type TransferTuning } from './types.js';

/** Suffix of temporary download files; the CLI's cleanup command finds orphans by it. */
export const TEMP_SUFFIX = '.b2sync-tmp';

const WRITE_BATCH = 1024 * 1024;
/** Parallel downloads are fetched as pieces of this size (or less), handed out in file order. */
const PIECE = 32 * 1024 * 1024;
const BODY_RETRIES = 5;

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
  fileVersion: { fileId: string; fileName: string; contentSha1: string; info: Record<string, string> };
}

/** The temp file a download of `fileId` to `target` uses. */
export function tempPathFor(target: string, fileId: string): string {
  const tag = createHash('sha1').update(fileId).digest('hex').slice(0, 12);
  return `${target}${'.'}${tag}${TEMP_SUFFIX}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Names (in the target's directory) of temp files of earlier downloads to `target`. */
async function tempsOf(target: string): Promise<string[]> {
  const re = new RegExp(`^${escapeRe(basename(target))}\\.[0-9a-f]{12}${escapeRe(TEMP_SUFFIX)}$`);
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  return names.filter((n) => re.test(n)).map((n) => join(dirname(target), n));
}

/** The SHA-1 the downloaded bytes must have, if B2 knows one. */
export function expectedSha1(r: { contentSha1: string; info: Record<string, string> }): string | undefined {
  const direct = normalizeSha1(r.contentSha1);
  if (direct && isSha1Hex(direct)) return direct;
  const large = normalizeSha1(r.info[INFO_LARGE_FILE_SHA1]);
  if (large && isSha1Hex(large)) return large;
  return undefined;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Beside the temp file of a parallel download: how far from byte 0 the temp file is complete. The
 * streams write pieces further on too, so the temp file's size says nothing; a process killed
 * mid-download leaves this behind, and the next attempt keeps only that prefix.
 */
export function prefixNoteFor(temp: string): string {
  return `${temp.slice(0, -TEMP_SUFFIX.length)}.prefix${TEMP_SUFFIX}`;
}

/** Bytes of an earlier attempt's temp file the next attempt may keep (all of it unless a prefix note says less). */
async function keptBytes(temp: string): Promise<number> {
  const size = await sizeOf(temp);
  let note: string;
  try {
    note = await readFile(prefixNoteFor(temp), 'utf8');
  } catch {
    return size;
  }
  const n = /^\d+$/.test(note.trim()) ? Number(note.trim()) : 0;
  return Math.min(size, n);
}

/** Make a rename in `dir` durable (fsync of the directory; skipped where directories cannot be opened for it). */
async function syncDir(dir: string): Promise<void> {
  let d: FileHandle | undefined;
  try {
    d = await open(dir, 'r');
    await d.sync();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw err;
  } finally {
    await d?.close();
  }
}

async function removeTemp(temp: string): Promise<void> {
  await rm(temp, { force: true });
  await rm(prefixNoteFor(temp), { force: true });
}

interface Cursor {
  pos: number;
}

/**
 * Writes into the temp file, one at a time: parallel streams writing the same file at once contend
 * for its inode lock (the kernel spins on it: ~2.5% of a 4-stream download's CPU, and twice the
 * system time of one writer for the same bytes in a dd test), while one write of 1 MiB into the page
 * cache takes well under a millisecond.
 */
class SerialWriter {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly fh: FileHandle) {}

  /** Write `bufs` (`bytes` in all) at `pos`, after every write asked for before. */
  write(bufs: Buffer[], bytes: number, pos: number): Promise<void> {
    const run = this.tail.then(() => writeFully(this.fh, bufs, bytes, pos));
    this.tail = run.catch(() => undefined);
    return run;
  }
}

async function writeFully(fh: FileHandle, bufs: Buffer[], bytes: number, pos: number): Promise<void> {
  let done = (await fh.writev(bufs, pos)).bytesWritten;
  if (done < bytes) {
    const all = Buffer.concat(bufs, bytes);
    while (done < bytes) done += (await fh.write(all, done, bytes - done, pos + done)).bytesWritten;
  }
}

/** Copy a response body into the file from cur.pos up to `end` (exclusive); bytes are reported after being written. */
async function pump(body: Readable, out: SerialWriter, cur: Cursor, end: number, onWritten: (bufs: Buffer[], n: number) => void): Promise<void> {
  let batch: Buffer[] = [];
  let bytes = 0;
  const flush = async () => {
    if (bytes === 0) return;
    await out.write(batch, bytes, cur.pos);
    const written = batch;
    batch = [];
    cur.pos += bytes;
    const n = bytes;
    bytes = 0;
    onWritten(written, n);
    // The bytes are on disk and hashed: a body that pools its chunks may reuse them.
    if (recycle) for (const b of written) recycle.call(body, b);
  };
  const recycle = (body as { recycle?: (b: Buffer) => void }).recycle;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const room = end - cur.pos - bytes;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (piece.length > 0) {
        batch.push(piece);
        bytes += piece.length;
      }
      if (bytes >= WRITE_BATCH) await flush();
      if (cur.pos + bytes >= end) break;
    }
    await flush();
  } catch (err) {
    await flush().catch(() => undefined); // what arrived intact before the failure is kept
    throw err;
  } finally {
    body.destroy();
  }
}

/**
 * Fill [cur.pos, end) of the file from `fileId`, starting with `first` (an open body positioned at
 * cur.pos) when given; a body cut short is continued with a Range request.
 */
async function fetchInto(
  client: B2Api,
  fileId: string,
  out: SerialWriter,
  cur: Cursor,
  end: number,
  first: Readable | undefined,
  onWritten: (bufs: Buffer[], n: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let body = first;
  let failures = 0;
  while (cur.pos < end) {
    throwIfAborted(signal);
    if (!body) {
      const r = await client.downloadById(fileId, { range: { start: cur.pos, end: end - 1 }, signal });
      if (r.status !== 206 && cur.pos !== 0) {
        r.body.destroy();
        throw new B2Error({ status: r.status, code: 'bad_range', message: `asked for bytes ${cur.pos}-${end - 1} of ${fileId}, got the whole file`, call: 'b2_download_file_by_id' });
      }
      body = r.body;
    }
    const before = cur.pos;
    let error: unknown;
    try {
      await pump(body, out, cur, end, onWritten);
    } catch (err) {
      error = err;
    }
    body = undefined;
    if (signal?.aborted) throw abortError(signal);
    if (cur.pos >= end) break;
    if (error instanceof B2Error && !error.retryable) throw error;
    failures = cur.pos > before ? 1 : failures + 1;
    if (failures > BODY_RETRIES) throw error ?? new Error(`download of ${fileId} ended at byte ${cur.pos} of ${end}`);
    await sleep(Math.min(50 * 2 ** failures, 2000), signal);
  }
  body?.resume(); // nothing was wanted from it (an empty file): let it drain so the connection is reused
}

function openFirst(client: B2Api, source: DownloadSource, fileId: string | undefined, start: number, signal?: AbortSignal): Promise<DownloadResponse> {
  const range = start > 0 ? { start } : undefined;
  if (fileId !== undefined) return client.downloadById(fileId, { range, signal });
  const s = source as { bucketName: string; fileName: string };
  return client.downloadByName(s.bucketName, s.fileName, { range, signal });
}

export async function downloadToFile(client: B2Api, p: DownloadToFileParams): Promise<DownloadResult> {
  throwIfAborted(p.signal);
  const target = resolve(p.localPath);
  await mkdir(dirname(target), { recursive: true });

  // Find the version first when a temp file of an earlier attempt may belong to it.
  let fileId = 'fileId' in p.source ? p.source.fileId : undefined;
  if (fileId === undefined && (await tempsOf(target)).length > 0) {
    const s = p.source as { bucketName: string; fileName: string };
    const head = await client.headFileByName(s.bucketName, s.fileName, { signal: p.signal });
    if (!head) throw new NotFoundError(`${s.fileName} not found in bucket ${s.bucketName}`);
    fileId = head.fileId;
  }
  let offset = fileId !== undefined ? await keptBytes(tempPathFor(target, fileId)) : 0;

  let first: DownloadResponse;
  try {
    first = await openFirst(client, p.source, fileId, offset, p.signal);
  } catch (err) {
    if (!(offset > 0 && err instanceof B2Error && err.status === 416)) throw err;
    offset = 0; // the kept bytes reach past the end: start over
    first = await openFirst(client, p.source, fileId, 0, p.signal);
  }
  if (first.status === 200) offset = 0; // the server sent the whole file
  fileId = first.fileId;
  const temp = tempPathFor(target, fileId);
  const total = first.totalLength;
  const expected = expectedSha1(first);
  const meta = { fileId, fileName: first.fileName, contentSha1: first.contentSha1, info: first.info };
  const progress = new ProgressTracker(p.onProgress, total);

  const streams = Math.max(1, p.tuning?.downloadStreams ?? DEFAULTS.downloadStreams);
  const parallelCutoff = p.tuning?.downloadParallelCutoff ?? DEFAULTS.downloadParallelCutoff;
  // A resumed download goes parallel too when what is left is above the cutoff.
  const parallel = streams > 1 && total - offset >= parallelCutoff && total - offset >= streams;
  const note = prefixNoteFor(temp);
  const state: ParallelState = { prefix: offset };

  let fh: FileHandle | undefined;
  let digest: string | undefined;
  let hasher: PrefixHasher | WorkerHasher | undefined;
  try {
    fh = await open(temp, offset > 0 ? 'r+' : 'w+');
    if (offset > 0) await fh.truncate(offset); // past a prefix note's length the bytes are not trusted
    // With no SHA-1 to check against (a large file without large_file_sha1), nothing is hashed.
    if (expected !== undefined) hasher = total - offset >= (p.tuning?.downloadHashWorkerCutoff ?? DEFAULTS.downloadHashWorkerCutoff) ? new WorkerHasher(fh, total) : new PrefixHasher(fh, total);
    if (offset > 0) {
      hasher?.advance(offset); // the kept bytes are read back while the rest arrives
      progress.addBytes(offset);
    }
    if (parallel) {
      await fetchParallel(client, fileId, new SerialWriter(fh), offset, total, streams, first.body, progress, hasher, note, state, p.signal);
    } else {
      await rm(note, { force: true });
      const cur = { pos: offset };
      await fetchInto(client, fileId, new SerialWriter(fh), cur, total, first.body, (bufs, n) => {
        hasher?.written(cur.pos - n, bufs, n);
        hasher?.advance(cur.pos);
        progress.addBytes(n);
      }, p.signal);
      await fh.truncate(total);
    }
    digest = await hasher?.digest();
    if (p.tuning?.fsync) await fh.datasync();
    await fh.close();
    fh = undefined;
    if (expected !== undefined && digest !== expected) {
      throw new IntegrityError(`${meta.fileName} (${fileId}): downloaded bytes have SHA-1 ${digest}, B2 says ${expected}`);
    }
    const mtime = Number(meta.info[INFO_SRC_LAST_MODIFIED]);
    if (meta.info[INFO_SRC_LAST_MODIFIED] !== undefined && Number.isFinite(mtime) && mtime >= 0) {
      await utimes(temp, new Date(), new Date(mtime));
    }
    await rename(temp, target);
    await rm(note, { force: true });
    if (p.tuning?.fsync) await syncDir(dirname(target));
  } catch (err) {
    first.body.destroy();
    hasher?.stop();
    await hasher?.settled();
    // A parallel download keeps the part complete from byte 0 (the pieces beyond are dropped).
    if (parallel && fh) await fh.truncate(state.prefix).catch(() => undefined);
    await fh?.close().catch(() => undefined);
    // Keep a temp file with bytes in it for the next attempt unless the failure is final.
    const keep = !(err instanceof IntegrityError) && (await sizeOf(temp)) > 0 && (isAbortError(err) || !(err instanceof B2Error && !err.retryable));
    if (!keep) await removeTemp(temp);
    else await rm(note, { force: true }); // truncated to its prefix: the size says it all now
    throw err;
  }
  // Temp files of other versions of this target are stale now.
  for (const other of await tempsOf(target)) if (other !== temp) await removeTemp(other);
  return { bytes: total, sha1Verified: expected !== undefined, fileVersion: meta };
}

interface ParallelState {
  /** The temp file is complete over [0, prefix). */
  prefix: number;
}

/**
 * Fetch [start,total) over `streams` connections: pieces of up to PIECE bytes are handed out in file
 * order to whichever stream is free, so the file fills from the front and the hasher (which hashes in
 * file order) keeps up with the transfer instead of waiting for the end. The complete prefix is kept in
 * `state` and, after each piece, in the prefix note beside the temp file (for a process killed midway).
 */
async function fetchParallel(
  client: B2Api,
  fileId: string,
  out: SerialWriter,
  start: number,
  total: number,
  streams: number,
  firstBody: Readable,
  progress: ProgressTracker,
  hasher: PrefixHasher | WorkerHasher | undefined,
  note: string,
  state: ParallelState,
  outer: AbortSignal | undefined,
): Promise<void> {
  const controller = new AbortController();
  const signal = linkedSignal(controller, outer);
  const piece = Math.max(1, Math.min(PIECE, Math.ceil((total - start) / streams)));
  let next = start; // start of the first piece not handed out yet
  const active = new Set<Cursor>();
  const prefix = () => {
    let upto = next;
    for (const c of active) if (c.pos < upto) upto = c.pos;
    return upto;
  };
  let noted = -1;
  let noting: Promise<void> = Promise.resolve();
  /** Record the prefix (one write at a time; a later value supersedes an earlier one). */
  const noteProgress = () => {
    state.prefix = prefix();
    if (state.prefix === noted) return noting;
    noted = state.prefix;
    noting = noting.then(() => writeFile(note, String(noted))).catch(() => undefined);
    return noting;
  };
  await noteProgress();
  const errors: unknown[] = [];
  const run = async (body: Readable | undefined) => {
    try {
      while (next < total && !signal.aborted) {
        const cur = { pos: next };
        const end = Math.min(total, next + piece);
        next = end;
        active.add(cur);
        await fetchInto(client, fileId, out, cur, end, body, (bufs, n) => {
          progress.addBytes(n);
          hasher?.written(cur.pos - n, bufs, n);
          hasher?.advance(prefix());
        }, signal);
        body = undefined;
        active.delete(cur);
        hasher?.advance(prefix());
        await noteProgress();
      }
    } catch (err) {
      errors.push(err);
      controller.abort();
    } finally {
      body?.destroy();
      state.prefix = prefix();
    }
  };
  // The first stream starts first, so it takes the piece at 0, which the whole-file body begins with.
  const tasks = Array.from({ length: Math.min(streams, Math.ceil((total - start) / piece)) }, (_, i) => run(i === 0 ? firstBody : undefined));
  await Promise.all(tasks);
  state.prefix = prefix();
  await noting;
  if (errors.length) throw errors.find((e) => !isAbortError(e)) ?? errors[0];
  throwIfAborted(outer);
}

/** Hashes a whole-file body and fails at the end if it does not match. */
class VerifyingStream extends Transform {
  private readonly hash = createHash('sha1');
  constructor(private readonly expected: string, private readonly label: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const got = this.hash.digest('hex');
    cb(got === this.expected ? null : new IntegrityError(`${this.label}: downloaded bytes have SHA-1 ${got}, B2 says ${this.expected}`));
  }
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
    r = 'fileId' in p.source
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
