/**
 * Fetching one range of a file into the temp file: the first body is opened where a kept prefix ends
 * (openResumed); a body cut short is continued with a Range request under the client's retry policy.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { B2Api, DownloadResponse } from '../../client/api.js';
import { b2RetryAfter, retrying } from '../../client/retry.js';
import { B2Error, NotFoundError } from '../../core/errors.js';
import type { DownloadSource } from '../types.js';
import type { FileWriter } from './file-writer.js';
import type { ProgressTracker } from '../progress.js';
import type { PrefixHasher } from '../prefix-hasher.js';
import type { WorkerHasher } from '../worker-hasher.js';
import { pump, type Cursor, type OnWritten } from './pump.js';
import { isDiskFull, keptBytes, prefixNoteFor, tempPathFor, tempsOf } from './temp-file.js';

export type Hasher = PrefixHasher | WorkerHasher;

export interface RangeFetch {
  client: B2Api;
  fileId: string;
  out: FileWriter;
  /** Fill [cur.pos, end) of the file. */
  cur: Cursor;
  end: number;
  /** An open body positioned at cur.pos, used first when given. */
  first?: Readable;
  onWritten: OnWritten;
  signal?: AbortSignal;
}

/**
 * Fill [cur.pos, end) of the file from `fileId`, starting with `first` (an open body positioned at
 * cur.pos) when given; a body cut short is continued with a Range request.
 */
export async function fetchInto(f: RangeFetch): Promise<void> {
  const { client, fileId, cur, end, signal } = f;
  let body = f.first;
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
        await pump(b, f.out, cur, end, f.onWritten);
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
      classify: (err) => ((err instanceof B2Error && !err.retryable) || isDiskFull(err) ? 'fail' : 'retry'),
      retryAfter: b2RetryAfter,
    },
  );
}

/** Fetch [start, total) over one connection, starting with `first`; the temp file ends at `total`. */
export async function fetchSingle(
  f: Omit<RangeFetch, 'cur' | 'end' | 'onWritten'> & {
    start: number;
    total: number;
    temp: string;
    hasher?: Hasher;
    progress: ProgressTracker;
  },
): Promise<void> {
  await rm(prefixNoteFor(f.temp), { force: true });
  const cur = { pos: f.start };
  const onWritten: OnWritten = (bufs, n) => {
    f.hasher?.written(cur.pos - n, bufs, n);
    f.hasher?.advance(cur.pos);
    f.progress.addBytes(n);
  };
  await fetchInto({ ...f, cur, end: f.total, onWritten });
  await f.out.fh.truncate(f.total);
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

/**
 * Open the first body of a download to `target`: from where an earlier attempt's temp file of the same
 * version ends (`offset`), or from 0 (no temp, kept bytes past the end, or the server sent it all).
 */
export async function openResumed(
  client: B2Api,
  source: DownloadSource,
  target: string,
  signal: AbortSignal | undefined,
): Promise<{ first: DownloadResponse; offset: number }> {
  // Find the version first when a temp file of an earlier attempt may belong to it.
  let fileId = 'fileId' in source ? source.fileId : undefined;
  if (fileId === undefined && (await tempsOf(target)).length > 0) {
    const s = source as { bucketName: string; fileName: string };
    const head = await client.headFileByName(s.bucketName, s.fileName, { signal });
    if (!head) throw new NotFoundError(`${s.fileName} not found in bucket ${s.bucketName}`);
    fileId = head.fileId;
  }
  let offset = fileId !== undefined ? await keptBytes(tempPathFor(target, fileId)) : 0;
  let first: DownloadResponse;
  try {
    first = await openFirst(client, source, fileId, offset, signal);
  } catch (err) {
    if (!(offset > 0 && err instanceof B2Error && err.status === 416)) throw err;
    offset = 0; // the kept bytes reach past the end: start over
    first = await openFirst(client, source, fileId, 0, signal);
  }
  if (first.status === 200) offset = 0; // the server sent the whole file
  return { first, offset };
}
