/**
 * The three-way march: a merge of three sorted batch streams (saved state, local listing, remote
 * listing) by path, in B2 order. Yields one triple per path; only the current batches are held.
 * A stream out of strictly increasing order throws ListingOrderError (it would plan deletions).
 */
import { compareB2Order, ListingOrderError } from '../march.js';

interface Pathed {
  path: string;
}

/** One stream's position: the current batch and an index into it. */
class Cursor<T extends Pathed> {
  private batch: T[] = [];
  private i = 0;
  private last: string | undefined;
  private done = false;
  private readonly it: AsyncIterator<T[]>;

  constructor(
    src: AsyncIterable<T[]>,
    private readonly name: string,
  ) {
    this.it = src[Symbol.asyncIterator]();
  }

  /** The head, loading the next batch when this one is used up; undefined at the end. */
  async head(): Promise<T | undefined> {
    while (this.i >= this.batch.length) {
      if (this.done) return undefined;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return undefined;
      }
      this.batch = r.value;
      this.i = 0;
    }
    return this.batch[this.i];
  }

  /** The current batch is used up and more may come. */
  needsLoad(): boolean {
    return this.i >= this.batch.length && !this.done;
  }

  /** The head without waiting, when the current batch has one. */
  peek(): T | undefined {
    return this.i < this.batch.length ? this.batch[this.i] : undefined;
  }

  take(): T {
    const e = this.batch[this.i++];
    if (this.last !== undefined && compareB2Order(this.last, e.path) >= 0)
      throw new ListingOrderError(this.name, this.last, e.path);
    this.last = e.path;
    return e;
  }

  async close(): Promise<void> {
    if (!this.done) await this.it.return?.();
  }
}

export interface Triple<S, E> {
  path: string;
  state?: S;
  local?: E;
  remote?: E;
}

function least(a: Pathed | undefined, b: Pathed | undefined): Pathed | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareB2Order(a.path, b.path) <= 0 ? a : b;
}

/** Merge the three streams; yields arrays of triples (one per batch boundary crossing, never empty). */
export async function* threeWay<S extends Pathed, E extends Pathed>(
  state: AsyncIterable<S[]>,
  local: AsyncIterable<E[]>,
  remote: AsyncIterable<E[]>,
): AsyncGenerator<Triple<S, E>[]> {
  const cs = new Cursor(state, 'state');
  const cl = new Cursor(local, 'local');
  const cr = new Cursor(remote, 'remote');
  try {
    let out: Triple<S, E>[] = [];
    for (;;) {
      if (cs.needsLoad() || cl.needsLoad() || cr.needsLoad()) {
        if (out.length > 0) {
          yield out;
          out = [];
        }
        await cs.head();
        await cl.head();
        await cr.head();
      }
      const s = cs.peek();
      const l = cl.peek();
      const r = cr.peek();
      const min = least(least(s, l), r);
      if (!min) break;
      const path = min.path;
      const t: Triple<S, E> = { path };
      if (s && s.path === path) t.state = cs.take();
      if (l && l.path === path) t.local = cl.take();
      if (r && r.path === path) t.remote = cr.take();
      out.push(t);
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all([cs.close(), cl.close(), cr.close()]);
  }
}
