/**
 * Copying a response body into the temp file from a cursor up to an end, in batches, through the
 * page cache or (when the writer has O_DIRECT) through aligned stages; bytes are reported once written.
 */
import type { Readable } from 'node:stream';
import { bandwidth } from '../../core/bandwidth.js';
import { ALIGN, WRITE_BATCH, type FileWriter } from './file-writer.js';

/** Where a fetch has written up to (exclusive). */
export interface Cursor {
  pos: number;
}

export type OnWritten = (bufs: Buffer[], n: number) => void;

/** Copy a response body into the file from cur.pos up to `end` (exclusive); bytes are reported after being written. */
export function pump(body: Readable, out: FileWriter, cur: Cursor, end: number, onWritten: OnWritten): Promise<void> {
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
      const paid = bandwidth.down(chunk.length); // --bwlimit (core/bandwidth.ts)
      if (paid) await paid;
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
      const paid = bandwidth.down(chunk.length); // --bwlimit (core/bandwidth.ts)
      if (paid) await paid;
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
