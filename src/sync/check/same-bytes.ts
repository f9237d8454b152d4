/**
 * Byte-for-byte comparison of two streams (check --download): chunks are compared as they arrive,
 * whatever their sizes on each side, so memory stays at one chunk per side.
 */

function asBuffer(x: unknown): Buffer {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return Buffer.from(String(x));
}

/** One side of the comparison: the current chunk and how far into it we are. */
class Cursor {
  chunk: Buffer | null = Buffer.alloc(0);
  at = 0;
  private readonly it: AsyncIterator<unknown>;

  constructor(src: AsyncIterable<unknown>) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** The current chunk is used up but the stream has not ended. */
  get drained(): boolean {
    return this.chunk !== null && this.at >= this.chunk.length;
  }

  async refill(): Promise<void> {
    const r = await this.it.next();
    this.chunk = r.done ? null : asBuffer(r.value);
    this.at = 0;
  }

  async close(): Promise<void> {
    await this.it.return?.(undefined);
  }
}

/** The offset of the first byte where the two streams differ (one ending first counts), or undefined when equal. */
export async function firstDifference(
  a: AsyncIterable<unknown>,
  b: AsyncIterable<unknown>,
): Promise<number | undefined> {
  const x = new Cursor(a);
  const y = new Cursor(b);
  let pos = 0;
  try {
    for (;;) {
      if (x.drained) await x.refill();
      else if (y.drained) await y.refill();
      else if (x.chunk === null || y.chunk === null) return x.chunk === y.chunk ? undefined : pos;
      else {
        const n = Math.min(x.chunk.length - x.at, y.chunk.length - y.at);
        if (x.chunk.compare(y.chunk, y.at, y.at + n, x.at, x.at + n) !== 0) {
          let i = 0;
          while (x.chunk[x.at + i] === y.chunk[y.at + i]) i++;
          return pos + i;
        }
        x.at += n;
        y.at += n;
        pos += n;
      }
    }
  } finally {
    await Promise.allSettled([x.close(), y.close()]);
  }
}
