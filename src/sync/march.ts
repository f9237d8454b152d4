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

/** Order checks inline (no generator per side): each listing must be strictly increasing. */
export async function* march(src: AsyncIterable<Entry>, dst: AsyncIterable<Entry>): AsyncGenerator<MarchPair> {
  const a = src[Symbol.asyncIterator]();
  const b = dst[Symbol.asyncIterator]();
  let prevA: string | undefined;
  let prevB: string | undefined;
  const nextA = async (): Promise<Entry | undefined> => {
    const r = await a.next();
    if (r.done) return undefined;
    const p = r.value.path;
    if (prevA !== undefined && compareB2Order(prevA, p) >= 0) throw new ListingOrderError('source', prevA, p);
    prevA = p;
    return r.value;
  };
  const nextB = async (): Promise<Entry | undefined> => {
    const r = await b.next();
    if (r.done) return undefined;
    const p = r.value.path;
    if (prevB !== undefined && compareB2Order(prevB, p) >= 0) throw new ListingOrderError('destination', prevB, p);
    prevB = p;
    return r.value;
  };
  try {
    // Both sides read ahead on their own (the walk's buffer, the B2 read-ahead), so awaiting them one
    // after the other loses nothing and saves a Promise.all per pair.
    let ea = await nextA();
    let eb = await nextB();
    while (ea !== undefined || eb !== undefined) {
      if (ea === undefined) {
        yield { dst: eb };
        eb = await nextB();
      } else if (eb === undefined) {
        yield { src: ea };
        ea = await nextA();
      } else {
        const c = compareB2Order(ea.path, eb.path);
        if (c === 0) {
          yield { src: ea, dst: eb };
          ea = await nextA();
          eb = await nextB();
        } else if (c < 0) {
          yield { src: ea };
          ea = await nextA();
        } else {
          yield { dst: eb };
          eb = await nextB();
        }
      }
    }
  } finally {
    await Promise.allSettled([a.return?.(undefined), b.return?.(undefined)]);
  }
}
