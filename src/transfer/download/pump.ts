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
  const w = new StagedWriter(stages, out, cur, onWritten);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const paid = bandwidth.down(chunk.length); // --bwlimit (core/bandwidth.ts)
      if (paid) await paid;
      await w.gather(chunk, end);
      if (recycle) recycle.call(body, chunk); // copied: the body may reuse it
      if (w.reach >= end) break;
    }
    await w.send(true);
    await w.inflight;
  } catch (err) {
    await w.salvage();
    throw err;
  } finally {
    await w.settle();
    out.giveStages(stages);
    body.destroy();
  }
}

/** The two stages of pumpAligned, the one filling, and the one write in flight. */
class StagedWriter {
  private k = 0; // the stage filling
  private start: number; // stage index of the first gathered byte
  private bytes = 0; // gathered in stages[k]
  private at: number; // file position of the first gathered byte (cur.pos plus what is in flight)
  inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly stages: Buffer[],
    private readonly out: FileWriter,
    private readonly cur: Cursor,
    private readonly onWritten: OnWritten,
  ) {
    this.start = cur.pos % ALIGN;
    this.at = cur.pos;
  }

  /** The file position just past what is gathered. */
  get reach(): number {
    return this.at + this.bytes;
  }

  /** Copy what of the chunk lies before `end` into the stages, sending each stage that fills. */
  async gather(chunk: Buffer, end: number): Promise<void> {
    let piece = chunk.subarray(0, Math.max(0, Math.min(chunk.length, end - this.reach)));
    while (piece.length > 0) {
      const stage = this.stages[this.k];
      const n = Math.min(piece.length, stage.length - this.start - this.bytes);
      piece.copy(stage, this.start + this.bytes, 0, n);
      this.bytes += n;
      piece = piece.subarray(n);
      if (this.start + this.bytes === stage.length) await this.send(false);
    }
  }

  /** Send what stages[k] holds (all of it when final, else its whole blocks); the rest moves over. */
  async send(final: boolean): Promise<void> {
    const buf = this.stages[this.k];
    const from = this.start;
    const to = from + this.bytes;
    const a0 = Math.ceil(from / ALIGN) * ALIGN;
    const a1 = Math.floor(to / ALIGN) * ALIGN;
    const upto = final ? to : a1 > a0 ? a1 : from;
    const n = upto - from;
    if (n === 0) return;
    await this.inflight; // the other stage is free again (and an earlier write's failure surfaces here)
    const restAt = upto % ALIGN;
    if (to > upto) buf.copy(this.stages[this.k ^ 1], restAt, upto, to);
    this.inflight = this.writeStage(buf, { from, upto, a0, a1 }, this.at);
    this.at += n;
    this.k ^= 1;
    this.start = restAt;
    this.bytes = to - upto;
  }

  /** After a failure, keep what arrived intact: the write in flight, and the whole blocks gathered. */
  async salvage(): Promise<void> {
    await this.settle();
    this.inflight = Promise.resolve();
    await this.send(false).catch(() => undefined);
    await this.settle();
  }

  /** Wait for the write in flight, its failure left to whoever awaited it. */
  settle(): Promise<void> {
    return this.inflight.catch(() => undefined);
  }

  /** buf[from, upto) to the file at pos: an unaligned head and tail through the page cache, the middle direct. */
  private async writeStage(buf: Buffer, r: { from: number; upto: number; a0: number; a1: number }, pos: number) {
    const { from, upto, a0, a1 } = r;
    const out = this.out;
    const mid0 = Math.min(Math.max(a0, from), upto);
    const mid1 = Math.max(mid0, Math.min(a1, upto));
    if (mid0 > from) await out.write([buf.subarray(from, mid0)], mid0 - from, pos);
    if (mid1 > mid0) await out.writeAligned(buf.subarray(mid0, mid1), pos + (mid0 - from));
    if (upto > mid1) await out.write([buf.subarray(mid1, upto)], upto - mid1, pos + (mid1 - from));
    this.cur.pos = pos + (upto - from);
    this.onWritten([buf.subarray(from, upto)], upto - from);
  }
}
