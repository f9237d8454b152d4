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
 *   except a kept prefix. From bigDownloadCutoff bytes to fetch (64 MiB) this runs on a worker thread
 *   (WorkerHasher: batches copied into a shared ring), below it on this thread (PrefixHasher).
 * - With the opt-in tuning `directIo: true`, downloads write with O_DIRECT where allowed, past the
 *   page cache (FileWriter); the hash worker then reads back with O_DIRECT too. Default off.
 * - The expected SHA-1 is X-Bz-Content-Sha1, or for large files ("none") the large_file_sha1 info;
 *   "unverified:" is stripped. A mismatch throws IntegrityError, removes the temp, leaves the target.
 *   When B2 has no SHA-1 for the file, nothing is hashed and the result says sha1Verified: false.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
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
import { linkedSignal, throwIfAborted } from '../core/abort.js';
import { retrying } from '../client/retry.js';
import { DEFAULTS, type DownloadSource, type Progress, type TransferTuning } from './types.js';

/** Suffix of temporary download files; the CLI's cleanup command finds orphans by it. */
export const TEMP_SUFFIX = '.b2sync-tmp';

const WRITE_BATCH = 1024 * 1024;
/** Parallel downloads are fetched as pieces of this size (or less), handed out in file order. */
const PIECE = 32 * 1024 * 1024;

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

/** O_DIRECT writes and reads need file offsets, lengths and memory aligned to the device's blocks. */
const ALIGN = 4096;
/** An aligned stage (pumpAligned): a write batch and a block of slack for an unaligned start. */
const STAGE = WRITE_BATCH + ALIGN;
const O_DIRECT = (fsConstants as { O_DIRECT?: number }).O_DIRECT;

/**
 * Page-aligned memory: WebAssembly memory starts on a page boundary (a Buffer from the allocator
 * only on a 16-byte one, which O_DIRECT refuses with EINVAL).
 */
function alignedBuffer(bytes: number): Buffer {
  const pages = Math.ceil(bytes / 65536);
  return Buffer.from(new Wasm.Memory({ initial: pages, maximum: pages }).buffer, 0, bytes);
}
/** (WebAssembly is a global of Node; this project's TypeScript libs do not declare it.) */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/**
 * Writes into the temp file, one at a time (parallel streams writing one file at once contend for its
 * inode lock: the kernel spins on it, ~2.5% of a 4-stream download's CPU).
 *
 * Opt-in (tuning.directIo): a second descriptor opened with O_DIRECT, through which aligned batches
 * go past the page cache. It helps where copying into the page cache is what costs (a VM whose balloon
 * device faults every fresh guest page; measured in docs/performance.md), and costs elsewhere (direct
 * writes wait for the device), so it is off by default. Unaligned heads and tails go through the page
 * cache. A file system that refuses O_DIRECT (tmpfs at open, others at the first write) gets page-cache
 * writes.
 */
class FileWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly stages: Buffer[] = [];
  private constructor(
    readonly fh: FileHandle,
    private direct: FileHandle | undefined,
  ) {}

  /** `direct`: aligned batches go out with O_DIRECT where the OS and file system allow it. */
  static async open(fh: FileHandle, path: string, direct: boolean): Promise<FileWriter> {
    return new FileWriter(fh, direct ? await openDirect(path) : undefined);
  }

  get directIo(): boolean {
    return this.direct !== undefined;
  }

  /** Write `bufs` (`bytes` in all) at `pos` through the page cache, after every write asked for before. */
  write(bufs: Buffer[], bytes: number, pos: number): Promise<void> {
    return this.queue(() => writeFully(this.fh, bufs, bytes, pos));
  }

  /** Write `buf` (aligned in memory, length and `pos` multiples of ALIGN) past the page cache where allowed. */
  writeAligned(buf: Buffer, pos: number): Promise<void> {
    return this.queue(async () => {
      if (this.direct) {
        try {
          let done = 0;
          while (done < buf.length)
            done += (await this.direct.write(buf, done, buf.length - done, pos + done)).bytesWritten;
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EINVAL') throw err;
          await this.dropDirect(); // refused after all: the page cache from now on
        }
      }
      await writeFully(this.fh, [buf], buf.length, pos);
    });
  }

  private queue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Two aligned stages for one stream (pumpAligned), from a small pool. */
  takeStages(): [Buffer, Buffer] {
    return [this.stages.pop() ?? alignedBuffer(STAGE), this.stages.pop() ?? alignedBuffer(STAGE)];
  }

  giveStages(stages: Buffer[]): void {
    this.stages.push(...stages);
  }

  private async dropDirect(): Promise<void> {
    const d = this.direct;
    this.direct = undefined;
    await d?.close().catch(() => undefined);
  }

  /** Close the O_DIRECT descriptor (the page-cache one is the caller's). */
  async close(): Promise<void> {
    await this.tail;
    await this.dropDirect();
  }
}

async function openDirect(path: string): Promise<FileHandle | undefined> {
  if (O_DIRECT === undefined) return undefined;
  return open(path, fsConstants.O_WRONLY | O_DIRECT).catch(() => undefined);
}

async function writeFully(fh: FileHandle, bufs: Buffer[], bytes: number, pos: number): Promise<void> {
  let done = (await fh.writev(bufs, pos)).bytesWritten;
  if (done < bytes) {
    const all = Buffer.concat(bufs, bytes);
    while (done < bytes) done += (await fh.write(all, done, bytes - done, pos + done)).bytesWritten;
  }
}

type OnWritten = (bufs: Buffer[], n: number) => void;

/** Copy a response body into the file from cur.pos up to `end` (exclusive); bytes are reported after being written. */
function pump(body: Readable, out: FileWriter, cur: Cursor, end: number, onWritten: OnWritten): Promise<void> {
  return out.directIo ? pumpAligned(body, out, cur, end, onWritten) : pumpCached(body, out, cur, end, onWritten);
}

/** Through the page cache: the chunks themselves, gathered into writes of WRITE_BATCH. */
async function pumpCached(
  body: Readable,
  out: FileWriter,
  cur: Cursor,
  end: number,
  onWritten: OnWritten,
): Promise<void> {
  let batch: Buffer[] = [];
  let bytes = 0;
  const recycle = (body as { recycle?: (b: Buffer) => void }).recycle;
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
 * Past the page cache: chunks are copied into one of two aligned stages, laid out so that stage index
 * i holds file byte (pos - pos % ALIGN + i); a full stage's aligned part goes out with O_DIRECT while
 * the other stage fills (a direct write waits for the device, so one write in flight per stream keeps
 * the socket read meanwhile). An unaligned head (a resumed download's first block) and the last tail
 * go through the page cache; an unaligned remainder moves to the other stage.
 */
async function pumpAligned(
  body: Readable,
  out: FileWriter,
  cur: Cursor,
  end: number,
  onWritten: OnWritten,
): Promise<void> {
  const stages = out.takeStages();
  const recycle = (body as { recycle?: (b: Buffer) => void }).recycle;
  let k = 0; // the stage filling
  let start = cur.pos % ALIGN; // stage index of the first gathered byte
  let bytes = 0; // gathered in stages[k]
  let at = cur.pos; // file position of the first gathered byte (cur.pos plus what is in flight)
  let inflight: Promise<void> = Promise.resolve();
  /** Send what stages[k] holds (all of it when final, else its whole blocks); the rest moves over. */
  const send = async (final: boolean) => {
    const buf = stages[k];
    const from = start;
    const to = start + bytes;
    const a0 = Math.ceil(from / ALIGN) * ALIGN;
    const a1 = Math.floor(to / ALIGN) * ALIGN;
    const upto = final ? to : a1 > a0 ? a1 : from;
    const n = upto - from;
    if (n === 0) return;
    await inflight; // the other stage is free again (and an earlier write's failure surfaces here)
    const other = stages[k ^ 1];
    const restAt = upto % ALIGN;
    if (to > upto) buf.copy(other, restAt, upto, to);
    const pos = at;
    inflight = (async () => {
      const mid0 = Math.min(Math.max(a0, from), upto);
      const mid1 = Math.max(mid0, Math.min(a1, upto));
      if (mid0 > from) await out.write([buf.subarray(from, mid0)], mid0 - from, pos);
      if (mid1 > mid0) await out.writeAligned(buf.subarray(mid0, mid1), pos + (mid0 - from));
      if (upto > mid1) await out.write([buf.subarray(mid1, upto)], upto - mid1, pos + (mid1 - from));
      cur.pos = pos + n;
      onWritten([buf.subarray(from, upto)], n);
    })();
    at += n;
    k ^= 1;
    start = restAt;
    bytes = to - upto;
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let piece = chunk.subarray(0, Math.max(0, Math.min(chunk.length, end - at - bytes)));
      while (piece.length > 0) {
        const n = Math.min(piece.length, stages[k].length - start - bytes);
        piece.copy(stages[k], start + bytes, 0, n);
        bytes += n;
        piece = piece.subarray(n);
        if (start + bytes === stages[k].length) await send(false);
      }
      if (recycle) recycle.call(body, chunk); // copied: the body may reuse it
      if (at + bytes >= end) break;
    }
    await send(true);
    await inflight;
  } catch (err) {
    // What arrived intact before the failure is kept: the write in flight, and the whole blocks gathered.
    await inflight.catch(() => undefined);
    inflight = Promise.resolve();
    await send(false).catch(() => undefined);
    await inflight.catch(() => undefined);
    throw err;
  } finally {
    await inflight.catch(() => undefined);
    out.giveStages(stages);
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
  out: FileWriter,
  cur: Cursor,
  end: number,
  first: Readable | undefined,
  onWritten: (bufs: Buffer[], n: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let body = first;
  if (cur.pos >= end) {
    body?.resume(); // nothing was wanted from it (an empty file): let it drain so the connection is reused
    return;
  }
  // One body at a time; a cut one is continued from cur.pos under the client's retry policy
  // (--retries, Retry-After), so `--retries 0` fails a cut body at once.
  await retrying(
    async () => {
      let b = body;
      body = undefined;
      if (!b) {
        const r = await client.downloadById(fileId, { range: { start: cur.pos, end: end - 1 }, signal });
        if (r.status !== 206 && cur.pos !== 0) {
          r.body.destroy();
          throw new B2Error({
            status: r.status,
            code: 'bad_range',
            message: `asked for bytes ${cur.pos}-${end - 1} of ${fileId}, got the whole file`,
            call: 'b2_download_file_by_id',
          });
        }
        b = r.body;
      }
      try {
        await pump(b, out, cur, end, onWritten);
      } catch (err) {
        if (cur.pos < end || signal?.aborted) throw err;
      }
      if (cur.pos < end)
        throw new B2Error({
          status: 0,
          code: 'body_cut',
          message: `download of ${fileId} ended at byte ${cur.pos} of ${end}`,
          call: 'b2_download_file_by_id',
        });
    },
    {
      signal,
      policy: client.retryPolicy,
      classify: (err) => (err instanceof B2Error && !err.retryable ? 'fail' : 'retry'),
      retryAfter: (err) => (err instanceof B2Error ? err.retryAfter : undefined),
    },
  );
}

function openFirst(
  client: B2Api,
  source: DownloadSource,
  fileId: string | undefined,
  start: number,
  signal?: AbortSignal,
): Promise<DownloadResponse> {
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

  // Big downloads hash on a worker thread; with tuning.directIo, writes go past the page cache (see FileWriter).
  const big = total - offset >= (p.tuning?.bigDownloadCutoff ?? DEFAULTS.bigDownloadCutoff);
  const direct = p.tuning?.directIo === true;

  let fh: FileHandle | undefined;
  let out: FileWriter | undefined;
  let directIo = false;
  let digest: string | undefined;
  let hasher: PrefixHasher | WorkerHasher | undefined;
  try {
    fh = await open(temp, offset > 0 ? 'r+' : 'w+');
    if (offset > 0) await fh.truncate(offset); // past a prefix note's length the bytes are not trusted
    out = await FileWriter.open(fh, temp, direct);
    // With no SHA-1 to check against (a large file without large_file_sha1), nothing is hashed.
    if (expected !== undefined) {
      if (big) {
        hasher = new WorkerHasher(fh, total, undefined, out.directIo ? temp : undefined);
      } else hasher = new PrefixHasher(fh, total);
    }
    if (offset > 0) {
      hasher?.advance(offset); // the kept bytes are read back while the rest arrives
      progress.addBytes(offset);
    }
    if (parallel) {
      await fetchParallel(
        client,
        fileId,
        out,
        offset,
        total,
        streams,
        first.body,
        progress,
        hasher,
        note,
        state,
        p.signal,
      );
    } else {
      await rm(note, { force: true });
      const cur = { pos: offset };
      await fetchInto(
        client,
        fileId,
        out,
        cur,
        total,
        first.body,
        (bufs, n) => {
          hasher?.written(cur.pos - n, bufs, n);
          hasher?.advance(cur.pos);
          progress.addBytes(n);
        },
        p.signal,
      );
      await fh.truncate(total);
    }
    directIo = out.directIo;
    await out.close();
    digest = await hasher?.digest();
    if (p.tuning?.fsync) await fh.datasync();
    await fh.close();
    fh = undefined;
    if (expected !== undefined && digest !== expected) {
      throw new IntegrityError(
        `${meta.fileName} (${fileId}): downloaded bytes have SHA-1 ${digest}, B2 says ${expected}`,
      );
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
    await out?.close().catch(() => undefined);
    // A parallel download keeps the part complete from byte 0 (the pieces beyond are dropped).
    if (parallel && fh) await fh.truncate(state.prefix).catch(() => undefined);
    await fh?.close().catch(() => undefined);
    // Keep a temp file with bytes in it for the next attempt unless the failure is final.
    const keep =
      !(err instanceof IntegrityError) &&
      (await sizeOf(temp)) > 0 &&
      (isAbortError(err) || !(err instanceof B2Error && !err.retryable));
    if (!keep) await removeTemp(temp);
    else await rm(note, { force: true }); // truncated to its prefix: the size says it all now
    throw err;
  }
  // Temp files of other versions of this target are stale now.
  for (const other of await tempsOf(target)) if (other !== temp) await removeTemp(other);
  return { bytes: total, sha1Verified: expected !== undefined, directIo, fileVersion: meta };
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
  out: FileWriter,
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
  // With O_DIRECT, pieces are whole blocks, so every stream's writes stay aligned.
  const unit = out.directIo ? ALIGN : 1;
  const piece = Math.max(unit, Math.ceil(Math.min(PIECE, Math.ceil((total - start) / streams)) / unit) * unit);
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
        await fetchInto(
          client,
          fileId,
          out,
          cur,
          end,
          body,
          (bufs, n) => {
            progress.addBytes(n);
            hasher?.written(cur.pos - n, bufs, n);
            hasher?.advance(prefix());
          },
          signal,
        );
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
  const tasks = Array.from({ length: Math.min(streams, Math.ceil((total - start) / piece)) }, (_, i) =>
    run(i === 0 ? firstBody : undefined),
  );
  await Promise.all(tasks);
  state.prefix = prefix();
  await noting;
  if (errors.length) throw errors.find((e) => !isAbortError(e)) ?? errors[0];
  throwIfAborted(outer);
}

/** Hashes a whole-file body and fails at the end if it does not match. */
class VerifyingStream extends Transform {
  private readonly hash = createHash('sha1');
  constructor(
    private readonly expected: string,
    private readonly label: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const got = this.hash.digest('hex');
    cb(
      got === this.expected
        ? null
        : new IntegrityError(`${this.label}: downloaded bytes have SHA-1 ${got}, B2 says ${this.expected}`),
    );
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
