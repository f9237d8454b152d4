/**
 * Parallel download of [start, total) over several connections: pieces of up to PIECE bytes handed out
 * in file order, so the file fills from the front; the part complete from byte 0 is recorded in the
 * prefix note after each piece.
 */
import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { B2Api } from '../../client/api.js';
import { linkedSignal, throwIfAborted } from '../../core/abort.js';
import { isAbortError } from '../../core/errors.js';
import type { ProgressTracker } from '../progress.js';
import { ALIGN, type FileWriter } from './file-writer.js';
import type { Cursor } from './pump.js';
import { fetchInto, type Hasher } from './range-fetch.js';

/** Parallel downloads are fetched as pieces of this size (or less), handed out in file order. */
const PIECE = 32 * 1024 * 1024;

export interface ParallelState {
  /** The temp file is complete over [0, prefix). */
  prefix: number;
}

export interface ParallelFetchOptions {
  client: B2Api;
  fileId: string;
  out: FileWriter;
  start: number;
  total: number;
  streams: number;
  progress: ProgressTracker;
  hasher: Hasher | undefined;
  /** The prefix note beside the temp file. */
  note: string;
  /** Kept up to date with the complete prefix (read after a failure). */
  state: ParallelState;
  signal: AbortSignal | undefined;
}

/**
 * Fetch [start,total) over `streams` connections: pieces of up to PIECE bytes are handed out in file
 * order to whichever stream is free, so the file fills from the front and the hasher (which hashes in
 * file order) keeps up with the transfer instead of waiting for the end. The complete prefix is kept in
 * `state` and, after each piece, in the prefix note beside the temp file (for a process killed midway).
 */
export class ParallelFetch {
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private readonly piece: number;
  /** Start of the first piece not handed out yet. */
  private next: number;
  private readonly active = new Set<Cursor>();
  private noted = -1;
  private noting: Promise<void> = Promise.resolve();
  private readonly errors: unknown[] = [];

  constructor(private readonly o: ParallelFetchOptions) {
    this.signal = linkedSignal(this.controller, o.signal);
    // With O_DIRECT, pieces are whole blocks, so every stream's writes stay aligned.
    const unit = o.out.directIo ? ALIGN : 1;
    const span = Math.min(PIECE, Math.ceil((o.total - o.start) / o.streams));
    this.piece = Math.max(unit, Math.ceil(span / unit) * unit);
    this.next = o.start;
  }

  /** Run the streams; the first starts with `firstBody` (the whole-file body, positioned at `start`). */
  async run(firstBody: Readable): Promise<void> {
    const { start, total, streams, state } = this.o;
    await this.noteProgress();
    // The first stream starts first, so it takes the piece at 0, which the whole-file body begins with.
    const tasks = Array.from({ length: Math.min(streams, Math.ceil((total - start) / this.piece)) }, (_, i) =>
      this.stream(i === 0 ? firstBody : undefined),
    );
    await Promise.all(tasks);
    state.prefix = this.prefix();
    await this.noting;
    if (this.errors.length) throw this.errors.find((e) => !isAbortError(e)) ?? this.errors[0];
    throwIfAborted(this.o.signal);
  }

  /** How far from byte 0 the file is complete. */
  private prefix(): number {
    let upto = this.next;
    for (const c of this.active) if (c.pos < upto) upto = c.pos;
    return upto;
  }

  /** Record the prefix (one write at a time; a later value supersedes an earlier one). */
  private noteProgress(): Promise<void> {
    const { state, note } = this.o;
    state.prefix = this.prefix();
    if (state.prefix === this.noted) return this.noting;
    this.noted = state.prefix;
    this.noting = this.noting.then(() => writeFile(note, String(this.noted))).catch(() => undefined);
    return this.noting;
  }

  /** One stream: take the next piece while any is left. */
  private async stream(body: Readable | undefined): Promise<void> {
    const { client, fileId, out, total, progress, hasher, state } = this.o;
    try {
      while (this.next < total && !this.signal.aborted) {
        const cur = { pos: this.next };
        const end = Math.min(total, this.next + this.piece);
        this.next = end;
        this.active.add(cur);
        const onWritten = (bufs: Buffer[], n: number) => {
          progress.addBytes(n);
          hasher?.written(cur.pos - n, bufs, n);
          hasher?.advance(this.prefix());
        };
        await fetchInto({ client, fileId, out, cur, end, first: body, onWritten, signal: this.signal });
        body = undefined;
        this.active.delete(cur);
        hasher?.advance(this.prefix());
        await this.noteProgress();
      }
    } catch (err) {
      this.errors.push(err);
      this.controller.abort();
    } finally {
      body?.destroy();
      state.prefix = this.prefix();
    }
  }
}
