/**
 * The march: a merge-join of two listings sorted in B2's order. Yields one pair per path, holding the
 * source entry, the destination entry, or both. Only the two current entries are held in memory.
 */
import { compareUtf8 } from '../wire/names.js';
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

async function* checked(it: AsyncIterable<Entry>, side: string): AsyncGenerator<Entry> {
  let prev: string | undefined;
  for await (const e of it) {
    if (prev !== undefined && compareUtf8(prev, e.path) >= 0) throw new ListingOrderError(side, prev, e.path);
    prev = e.path;
    yield e;
  }
}

export async function* march(src: AsyncIterable<Entry>, dst: AsyncIterable<Entry>): AsyncGenerator<MarchPair> {
  const a = checked(src, 'source')[Symbol.asyncIterator]();
  const b = checked(dst, 'destination')[Symbol.asyncIterator]();
  try {
    let [ra, rb] = await Promise.all([a.next(), b.next()]);
    while (!ra.done || !rb.done) {
      if (ra.done) {
        yield { dst: rb.value as Entry };
        rb = await b.next();
      } else if (rb.done) {
        yield { src: ra.value };
        ra = await a.next();
      } else {
        const c = compareUtf8(ra.value.path, rb.value.path);
        if (c === 0) {
          yield { src: ra.value, dst: rb.value };
          [ra, rb] = await Promise.all([a.next(), b.next()]);
        } else if (c < 0) {
          yield { src: ra.value };
          ra = await a.next();
        } else {
          yield { dst: rb.value };
          rb = await b.next();
        }
      }
    }
  } finally {
    await Promise.allSettled([a.return?.(undefined), b.return?.(undefined)]);
  }
}
