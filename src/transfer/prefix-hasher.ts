/**
 * SHA-1 of a file that is being written, in file order, on the calling thread.
 *
 * Bytes written at the hashed offset are hashed straight from the buffers just written (no copy, no
 * read); bytes written further on are hashed when the file is complete up to them, by reading them
 * back (one reused buffer, so reading back allocates nothing per byte). The writer says what it wrote
 * (`written`) and how far the file is complete from byte 0 (`advance`).
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const READ_BACK = 4 * 1024 * 1024;

export class PrefixHasher {
  private readonly hash = createHash('sha1');
  /** Bytes [0, hashed) are in the hash. */
  private hashed = 0;
  /** The file is complete over [0, complete). */
  private complete = 0;
  private reading: Promise<void> | undefined;
  private buf: Buffer | undefined;
  private failure: unknown;
  private stopped = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly total: number,
  ) {}

  /** `bufs` (n bytes) were written at `pos`. */
  written(pos: number, bufs: readonly Buffer[], n: number): void {
    if (this.reading || pos !== this.hashed || this.stopped) return;
    for (const b of bufs) this.hash.update(b);
    this.hashed += n;
    if (this.complete < this.hashed) this.complete = this.hashed;
  }

  /** The file is complete from byte 0 up to `upto` (exclusive). */
  advance(upto: number): void {
    if (upto > this.complete) this.complete = Math.min(upto, this.total);
    if (this.hashed < this.complete && !this.reading && !this.stopped) {
      this.reading = this.readBack().finally(() => (this.reading = undefined));
    }
  }

  private async readBack(): Promise<void> {
    try {
      this.buf ??= Buffer.allocUnsafe(Math.min(READ_BACK, Math.max(1, this.total)));
      while (this.hashed < this.complete && !this.stopped) {
        const { bytesRead } = await this.fh.read(
          this.buf,
          0,
          Math.min(this.buf.length, this.complete - this.hashed),
          this.hashed,
        );
        if (bytesRead === 0) throw new Error(`file shorter than reported: ${this.hashed} < ${this.complete}`);
        this.hash.update(bytesRead === this.buf.length ? this.buf : this.buf.subarray(0, bytesRead));
        this.hashed += bytesRead;
      }
    } catch (err) {
      this.failure ??= err;
      this.stopped = true;
    }
  }

  /** The SHA-1 (hex) once the file is complete; reads back whatever is not hashed yet. */
  async digest(): Promise<string> {
    this.advance(this.total);
    while (this.reading) await this.reading;
    if (this.failure !== undefined) throw this.failure;
    if (this.hashed !== this.total) throw new Error(`hashed ${this.hashed} of ${this.total} bytes`);
    return this.hash.digest('hex');
  }

  /** Stop reading back (the download failed); the file handle may be closed after `settled`. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once no read is in flight. */
  async settled(): Promise<void> {
    while (this.reading) await this.reading;
  }
}
