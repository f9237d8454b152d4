/**
 * Bisync's three-way march: a merge-join of the saved state, the local listing and the remote
 * listing, each sorted in B2 order and given in batches. Yields batches of triples (one per path),
 * holding whichever of the three know the path. Only the current batch of each side is held.
 */
import { compareB2Order, ListingOrderError } from '../march.js';
import type { Entry } from '../types.js';
import type { StateRecord } from './types.js';

/** One path as the state, the local side and the remote side know it. */
export interface Triple {
  path: string;
  s?: StateRecord;
  l?: Entry;
  r?: Entry;
}

/** Triples gathered before a batch is handed on (or sooner, when a side must wait for its next batch). */
const OUT_BATCH = 2048;

/** One input of the march: its current batch, the position in it, and the order check. */
class Cursor<T extends { path: string }> {
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

  get empty(): boolean {
    return this.i >= this.buf.length && !this.done;
  }

  head(): T | undefined {
    return this.i < this.buf.length ? this.buf[this.i] : undefined;
  }

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

/** The smallest of up to three paths. */
function least(a: string | undefined, b: string | undefined, c: string | undefined): string | undefined {
  let m = a;
  if (b !== undefined && (m === undefined || compareB2Order(b, m) < 0)) m = b;
  if (c !== undefined && (m === undefined || compareB2Order(c, m) < 0)) m = c;
  return m;
}

/**
 * March state, local and remote batches together. Each input must be strictly increasing in B2 order
 * (ListingOrderError otherwise, naming 'state', 'local' or 'remote'; triples before it are handed on first).
 */
export async function* marchThree(
  state: AsyncIterable<StateRecord[]>,
  local: AsyncIterable<Entry[]>,
  remote: AsyncIterable<Entry[]>,
): AsyncGenerator<Triple[]> {
  const s = new Cursor(state, 'state');
  const l = new Cursor(local, 'local');
  const r = new Cursor(remote, 'remote');
  let out: Triple[] = [];
  try {
    for (;;) {
      const need = s.empty ? s : l.empty ? l : r.empty ? r : undefined;
      if (need || out.length >= OUT_BATCH) {
        if (out.length > 0) {
          yield out;
          out = [];
        }
        if (need) await need.refill();
        continue;
      }
      const hs = s.head();
      const hl = l.head();
      const hr = r.head();
      const p = least(hs?.path, hl?.path, hr?.path);
      if (p === undefined) break;
      const t: Triple = { path: p };
      if (hs !== undefined && hs.path === p) {
        t.s = hs;
        s.advance();
      }
      if (hl !== undefined && hl.path === p) {
        t.l = hl;
        l.advance();
      }
      if (hr !== undefined && hr.path === p) {
        t.r = hr;
        r.advance();
      }
      out.push(t);
    }
    if (out.length > 0) yield out;
  } catch (e) {
    if (out.length > 0) yield out;
    throw e;
  } finally {
    await Promise.allSettled([s.close(), l.close(), r.close()]);
  }
}
