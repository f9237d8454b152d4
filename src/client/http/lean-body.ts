/**
 * The lean GET client's response body and the pool of 1 MiB chunks socket reads land in.
 * A consumer that is done with a chunk hands it back (LeanBody.recycle), so a download allocates
 * almost nothing per byte.
 */
import { Readable } from 'node:stream';

/** Size of the body chunks handed to the consumer. */
export const BODY_CHUNK = 1024 * 1024;
/** Chunks kept for reuse across bodies. */
const POOL_MAX = 16;

export class ChunkPool {
  private readonly free: Buffer[] = [];
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(BODY_CHUNK);
  }
  give(buf: Buffer): void {
    if (this.free.length < POOL_MAX && buf.byteOffset === 0 && buf.buffer.byteLength === BODY_CHUNK) {
      this.free.push(Buffer.from(buf.buffer, 0, BODY_CHUNK));
    }
  }
}

/** What a body needs of its connection. */
export interface BodySource {
  pause(): void;
  resume(): void;
  /** The body is complete: the connection may serve the next request. */
  bodyDone(body: LeanBody): void;
  /** The consumer dropped an unfinished body: the connection cannot be reused. */
  abandon(body: LeanBody): void;
}

/**
 * A response body: a Readable of Buffers of up to BODY_CHUNK bytes. Chunks stay valid until given
 * back with recycle(); a consumer that never recycles simply lets them be collected.
 */
export class LeanBody extends Readable {
  /** Body bytes still to come (Infinity: until the connection closes). */
  remaining: number;
  private ended = false;

  constructor(
    private readonly pool: ChunkPool,
    private readonly conn: BodySource,
    length: number,
  ) {
    // Object mode: read() hands out one chunk as pushed; in byte mode a reader such as `for await`
    // gets everything buffered concatenated into a new buffer (a copy, and no chunk to recycle).
    super({ objectMode: true, highWaterMark: 2 });
    this.remaining = length;
  }

  /** Give back a chunk this body produced once its bytes are no longer needed. */
  recycle(buf: Buffer): void {
    this.pool.give(buf);
  }

  /** Hand a filled chunk to the reader (pausing the socket when the reader is behind). */
  deliver(chunk: Buffer): void {
    if (!this.push(chunk)) this.conn.pause();
  }

  /** The body is complete (its length reached, or the connection closed on a length-less body). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
    this.conn.bodyDone(this);
  }

  get complete(): boolean {
    return this.ended;
  }

  /**
   * The connection failed mid-body: hand on the bytes that arrived, then the error, so a reader keeps
   * what it got (a download continues from there with a Range request) and still learns of the cut.
   */
  fail(err: Error): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    // 'error' without destroy() keeps the queued chunks readable (for-await reads them first). With
    // nothing queued there is nothing to keep; with no reader yet, the error waits for one.
    // A reader that comes after destroy() still gets the error (the stream keeps it); with no listener
    // yet, the 'error' destroy() emits would be thrown as unhandled (a reply whose head and broken body
    // came in one read fails before its caller has the response): one no-op listener stands in.
    if (this.readableLength === 0) {
      if (this.listenerCount('error') === 0) this.once('error', () => undefined);
      this.destroy(err);
    } else if (this.listenerCount('error') > 0) this.emit('error', err);
    else {
      const onListener = (event: string | symbol) => {
        if (event !== 'error') return;
        this.off('newListener', onListener);
        process.nextTick(() => {
          if (!this.destroyed) this.emit('error', err);
        });
      };
      this.on('newListener', onListener);
    }
  }

  override _read(): void {
    this.conn.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.ended) this.conn.abandon(this);
    cb(err);
  }

  /** The whole body as text (error replies). */
  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of this) parts.push(Buffer.from(c as Buffer));
    return Buffer.concat(parts).toString('utf8');
  }

  /** Discard the body. */
  async dump(): Promise<void> {
    this.destroy();
  }
}
