/**
 * Byte stores. A blob is written once (streamed, through a writer that is committed or aborted),
 * read by range any number of times, and removed when no file version or part refers to it.
 * Metadata lives elsewhere (meta-store.ts); a file version refers to bytes through segments.
 */
import type { Readable } from 'node:stream';

/** A run of bytes inside a blob. A file version's content is a list of segments (parts are linked, never copied). */
export interface Segment {
  blob: string;
  off: number;
  len: number;
}

export interface BlobWriter {
  readonly id: string;
  /** Write a chunk; returns a promise only when the caller should wait (backpressure). */
  write(chunk: Buffer): Promise<void> | undefined;
  /** Make the blob durable and readable under its id. */
  commit(): Promise<void>;
  /** Discard everything written; the blob never becomes visible. */
  abort(): Promise<void>;
}

export interface BlobStore {
  create(): BlobWriter;
  /** Bytes [start, end) of a blob. */
  read(id: string, start: number, end: number): Readable | AsyncIterable<Buffer>;
  remove(id: string): Promise<void>;
  /** Drop every blob not in `keep` (and any temporary leftovers). */
  sweep(keep: Set<string>): Promise<void>;
}

/** Stream the bytes [start, end) of a segment list. */
export async function* readSegments(
  store: BlobStore,
  segments: readonly Segment[],
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  let pos = 0;
  for (const seg of segments) {
    const segStart = pos;
    const segEnd = pos + seg.len;
    pos = segEnd;
    if (segEnd <= start) continue;
    if (segStart >= end) break;
    const from = Math.max(start, segStart) - segStart + seg.off;
    const to = Math.min(end, segEnd) - segStart + seg.off;
    if (to > from) yield* store.read(seg.blob, from, to) as AsyncIterable<Buffer>;
  }
}

/** The sub-list of segments covering bytes [start, end) of a segment list (no bytes are touched). */
export function sliceSegments(segments: readonly Segment[], start: number, end: number): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (const seg of segments) {
    const segStart = pos;
    const segEnd = pos + seg.len;
    pos = segEnd;
    if (segEnd <= start) continue;
    if (segStart >= end) break;
    const from = Math.max(start, segStart) - segStart;
    const to = Math.min(end, segEnd) - segStart;
    if (to > from) out.push({ blob: seg.blob, off: seg.off + from, len: to - from });
  }
  return out;
}
