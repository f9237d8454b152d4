/**
 * Rename detection. While the march runs, paths that may be one half of a rename are held here
 * instead of becoming deletions or transfers: a name gone from one side (unchanged on the other) and a
 * name new on that side (absent from the other). After the march they are paired — locally by inode,
 * size and mtime, else by SHA-1 (hashing only files whose size matches a gone one); on B2 by size and
 * SHA-1 — and each pair becomes one rename; the rest get their ordinary operations. Memory: the
 * candidates, bounded by the number of changes (new names beyond MAX_NEW_CANDIDATES are not held).
 */
import type { Entry } from '../types.js';
import { localSha1, type RuleContext } from './rules.js';
import type { StateRecord } from './types.js';

/** New names held for pairing at most; beyond it new files are planned at once (no rename found for them). */
export const MAX_NEW_CANDIDATES = 50_000;

export interface Gone {
  s: StateRecord;
  /** The entry still present on the other side. */
  other: Entry;
  paired?: boolean;
}

export type Paired =
  { kind: 'rename'; gone: Gone; to: Entry } | { kind: 'gone'; gone: Gone } | { kind: 'new'; e: Entry };

function inoKey(size: number, mtimeMs: number, ino: number | undefined): string | undefined {
  return ino === undefined ? undefined : `${ino}:${size}:${mtimeMs}`;
}

function knownSha1(s: StateRecord): string | undefined {
  return s.remote.sha1 ?? s.local.sha1;
}

/** One direction's candidates (local renames, or B2 renames). */
export class RenameSide {
  readonly gone: Gone[] = [];
  readonly fresh: Entry[] = [];

  constructor(private readonly where: 'local' | 'remote') {}

  /** Hold a new name? false when too many are held already. */
  holdNew(e: Entry): boolean {
    if (this.fresh.length >= MAX_NEW_CANDIDATES) return false;
    this.fresh.push(e);
    return true;
  }

  /** Pairs, then the unpaired gone and new names, in path order within each group. */
  async pair(cx: RuleContext): Promise<Paired[]> {
    const out: Paired[] = [];
    const rest = this.where === 'local' ? await this.pairByInode(out) : this.fresh;
    const left = await this.pairBySha1(cx, rest, out);
    for (const g of this.gone) if (!g.paired) out.push({ kind: 'gone', gone: g });
    for (const e of left) out.push({ kind: 'new', e });
    return out;
  }

  private async pairByInode(out: Paired[]): Promise<Entry[]> {
    const byKey = new Map<string, Gone>();
    for (const g of this.gone) {
      const k = inoKey(g.s.local.size, g.s.local.mtimeMs, g.s.local.ino);
      if (k !== undefined && !byKey.has(k)) byKey.set(k, g);
    }
    const rest: Entry[] = [];
    for (const e of this.fresh) {
      const k = inoKey(e.size, e.mtimeMs, e.ino);
      const g = k === undefined ? undefined : byKey.get(k);
      if (g && !g.paired) {
        g.paired = true;
        out.push({ kind: 'rename', gone: g, to: e });
      } else rest.push(e);
    }
    return rest;
  }

  private async pairBySha1(cx: RuleContext, fresh: Entry[], out: Paired[]): Promise<Entry[]> {
    const bySize = new Map<number, Gone[]>();
    for (const g of this.gone) {
      if (g.paired || knownSha1(g.s) === undefined) continue;
      const list = bySize.get(g.s.remote.size) ?? [];
      list.push(g);
      bySize.set(g.s.remote.size, list);
    }
    const left: Entry[] = [];
    for (const e of fresh) {
      const list = bySize.get(e.size);
      const sha1 = list ? (this.where === 'local' ? await localSha1(cx, e) : e.sha1) : undefined;
      const g = sha1 === undefined ? undefined : list!.find((c) => !c.paired && knownSha1(c.s) === sha1);
      if (g) {
        g.paired = true;
        out.push({ kind: 'rename', gone: g, to: e });
      } else left.push(e);
    }
    return left;
  }
}
