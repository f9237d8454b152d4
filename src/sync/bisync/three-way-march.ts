/**
 * Bisync's three-way march: a merge-join of the saved state, the local listing and the remote
 * listing, each sorted in B2 order and given in batches. Yields batches of triples (one per path),
 * holding whichever of the three know the path. Only the current batch of each side is held.
 */
import { compareB2Order, MarchCursor } from '../march.js';
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
  const s = new MarchCursor(state, 'state');
  const l = new MarchCursor(local, 'local');
  const r = new MarchCursor(remote, 'remote');
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
