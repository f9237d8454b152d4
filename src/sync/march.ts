/**
 * The march: a merge-join of two listings sorted in B2's order. Yields one pair per path, holding the
 * source entry, the destination entry, or both. Only the two current entries are held in memory.
 */
import type { Entry } from './types.js';

export interface MarchPair {
  src?: Entry;
  dst?: Entry;
}

/** Thrown when a listing is not in strictly increasing order (a bug, never silently tolerated: it would plan deletions). */
export class ListingOrderError extends Error {
  constructor(side: string, prev: string, next: string) {
    super(`${side} listing out of order: ${JSON.stringify(prev)} came before ${JSON.stringify(next)}`);
    this.name = 'ListingOrderError';
  }
}

/**
 * compareUtf8 with a fast path: UTF-16 unit order equals UTF-8 byte (code point) order except where an
 * astral character (a surrogate unit) meets a BMP character from U+E000 up, so compare units and fix
 * only that case. Same result as compareUtf8 for well-formed strings.
 */
export function compareB2Order(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  const ca = a.charCodeAt(i);
  const cb = b.charCodeAt(i);
  if (ca >= 0xd800 && cb >= 0xd800) {
    const sa = ca <= 0xdfff;
    if (sa !== cb <= 0xdfff) return sa ? 1 : -1;
  }
  return ca < cb ? -1 : 1;
}

/** Pairs gathered before the march hands a batch on (or sooner, when a side must wait for its next batch). */
const OUT_BATCH = 2048;

/**
 * One input of a march (this two-way one, bisync's three-way one): its current batch, the position in
 * it, and the order check.
 */
export class MarchCursor<T extends { path: string }> {
  buf: T[] = [];
  i = 0;
  done = false;
  private prev: string | undefined;
  private readonly it: AsyncIterator<T[]>;

  constructor(
    src: AsyncIterable<T[]>,
    private readonly side: string,
  ) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** The current batch is used up and more may come: refill() before going on. */
  get empty(): boolean {
    return this.i >= this.buf.length && !this.done;
  }

  /** The current entry (undefined at the end, or when empty). */
  head(): T | undefined {
    return this.i < this.buf.length ? this.buf[this.i] : undefined;
  }

  /** Read the next non-empty batch (or the end). */
  async refill(): Promise<void> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        this.buf = [];
        this.i = 0;
        return;
      }
      if (r.value.length > 0) {
        this.buf = r.value;
        this.i = 0;
        this.check(r.value[0].path);
        return;
      }
    }
  }

  /** Step past the current entry; the next one must sort after it. */
  advance(): void {
    if (++this.i < this.buf.length) this.check(this.buf[this.i].path);
  }

  private check(p: string): void {
    const prev = this.prev;
    if (prev !== undefined && compareB2Order(prev, p) >= 0) throw new ListingOrderError(this.side, prev, p);
    this.prev = p;
  }

  async close(): Promise<void> {
    await this.it.return?.(undefined);
  }
}

/**
 * The march over listings given in batches (arrays of entries in order), yielding batches of pairs:
 * entries are matched in a plain loop, and the generator is resumed once per batch, not per entry.
 * Order checks inline: each listing must be strictly increasing (pairs before a bad entry are handed on first).
 */
export async function* marchBatches(
  src: AsyncIterable<Entry[]>,
  dst: AsyncIterable<Entry[]>,
): AsyncGenerator<MarchPair[]> {
  const a = new MarchCursor(src, 'source');
  const b = new MarchCursor(dst, 'destination');
  let out: MarchPair[] = [];
  try {
    for (;;) {
      // Both sides read ahead on their own (the walk's buffer, the B2 read-ahead), so awaiting them one
      // after the other loses nothing.
      const need = a.empty ? a : b.empty ? b : undefined;
      if (need || out.length >= OUT_BATCH) {
        if (out.length > 0) {
          yield out;
          out = [];
        }
        if (need) await need.refill();
        continue;
      }
      const ea = a.head();
      const eb = b.head();
      if (ea === undefined && eb === undefined) break;
      const c = ea === undefined ? 1 : eb === undefined ? -1 : compareB2Order(ea.path, eb.path);
      out.push(c === 0 ? { src: ea, dst: eb } : c < 0 ? { src: ea } : { dst: eb });
      if (c <= 0) a.advance();
      if (c >= 0) b.advance();
    }
    if (out.length > 0) yield out;
  } catch (e) {
    if (out.length > 0) yield out;
    throw e;
  } finally {
    await Promise.allSettled([a.close(), b.close()]);
  }
}

/** The march entry by entry (each listing given entry by entry): marchBatches in small steps. */
export async function* march(src: AsyncIterable<Entry>, dst: AsyncIterable<Entry>): AsyncGenerator<MarchPair> {
  for await (const pairs of marchBatches(singles(src), singles(dst))) yield* pairs;
}

/** Each entry as a batch of one. */
export async function* singles<T>(it: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const x of it) yield [x];
}
