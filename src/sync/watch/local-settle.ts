/**
 * The settle stage of the local watcher (docs/watch.md, "Local side"): a path is handed out only once
 * no event named it for `settleMs` AND a fresh lstat shows the same size and mtime as the one taken at
 * its last event (or at the previous check). A file appended in slow pieces keeps being pushed back and
 * comes out once, whole, after the last piece.
 *
 * Pending paths live in one Map kept in last-event order (an event deletes and re-inserts its path), so
 * the first entries are always the first due: a sweep walks from the front and stops at the first one
 * not due, and a single timer is armed for the front entry. Nothing runs while nothing is pending.
 */
import { lstatSync } from 'node:fs';
import type { PathChange } from './types.js';

export type Kind = PathChange['kind'];

/** What lstat said about a path: absent, a directory, or a file-like thing's size and mtime. */
export type Sig = 'none' | 'dir' | `${number}:${number}`;

export function sigOf(abs: string): Sig {
  try {
    const s = lstatSync(abs, { throwIfNoEntry: false });
    if (!s) return 'none';
    if (s.isDirectory()) return 'dir';
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}

interface Pending {
  kind: Kind;
  abs: string;
  /** When the last event for this path arrived (or the last check found it changed). */
  at: number;
  /** When it first went pending: a directory is pushed back by the events below it for at most COVER_FOR settle periods. */
  since: number;
  sig: Sig;
}

/** Settle periods a pending directory may be pushed back by events below it before it is handed out anyway. */
const COVER_FOR = 10;

/** The later of two kinds for one path; undefined: the two cancel out (created, then deleted). */
export function mergeKind(prev: Kind | undefined, next: Kind): Kind | undefined {
  if (prev === undefined) return next;
  if (prev === 'unknown' || next === 'unknown') return 'unknown';
  if (prev === 'create' && next === 'update') return 'create';
  if (prev === 'create' && next === 'delete') return undefined;
  if (prev === 'delete' && next === 'create') return 'update';
  return next;
}

/** The kind handed out, given what the final stat says (a vanished file is a delete, a dir is unknown). */
function finalKind(kind: Kind, sig: Sig): Kind {
  if (kind === 'unknown') return kind;
  if (sig === 'dir') return 'unknown';
  if (sig === 'none') return 'delete';
  return kind === 'delete' ? 'update' : kind;
}

export class Settler {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private unknowns = 0;
  private stopped = false;

  constructor(
    private readonly settleMs: number,
    private readonly onSettled: (changes: PathChange[]) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Every pending path with its kind so far (for a checkpoint). */
  snapshot(): PathChange[] {
    return [...this.pending].map(([path, p]) => ({ path, kind: p.kind }));
  }

  /** An event for `rel` (on disk at `abs`), with the lstat taken when it arrived. */
  add(rel: string, abs: string, kind: Kind, sig: Sig): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.unknowns > 0 && this.refreshAncestor(rel, now)) return;
    const prev = this.pending.get(rel);
    const merged = mergeKind(prev?.kind, kind);
    if (prev) this.remove(rel, prev);
    if (merged === undefined) return;
    this.pending.set(rel, { kind: merged, abs, at: now, since: prev?.since ?? now, sig });
    if (merged === 'unknown') this.unknowns++;
    this.arm();
  }

  clear(): void {
    this.pending = new Map();
    this.unknowns = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private remove(rel: string, p: Pending): void {
    this.pending.delete(rel);
    if (p.kind === 'unknown') this.unknowns--;
  }

  /**
   * A path below a directory already pending as 'unknown' is covered by it: push the directory back
   * instead, for a while (a directory with a file always being written below it still comes out; what
   * changes below it after that is then settled path by path).
   */
  private refreshAncestor(rel: string, now: number): boolean {
    for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
      const dir = rel.slice(0, i);
      const p = this.pending.get(dir);
      if (p?.kind === 'unknown' && now - p.since < COVER_FOR * this.settleMs) {
        this.pending.delete(dir);
        p.at = now;
        this.pending.set(dir, p);
        return true;
      }
    }
    return false;
  }

  private arm(): void {
    if (this.timer || this.pending.size === 0 || this.stopped) return;
    const first = this.pending.values().next().value as Pending;
    const wait = Math.max(0, first.at + this.settleMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep();
    }, wait);
  }

  /** Hand out every due path whose stat did not move; push back those that did. */
  private sweep(): void {
    const now = Date.now();
    // Paths due within a few ms of each other settle together (a rename's delete and create come out as one batch).
    const horizon = now + Math.min(50, this.settleMs / 4);
    const out: PathChange[] = [];
    for (const [rel, p] of this.pending) {
      if (p.at + this.settleMs > horizon) break;
      const sig = p.kind === 'unknown' ? p.sig : sigOf(p.abs);
      this.pending.delete(rel);
      if (sig !== p.sig) {
        p.sig = sig;
        p.at = now;
        this.pending.set(rel, p); // to the back: due settleMs from now
        continue;
      }
      if (p.kind === 'unknown') this.unknowns--;
      out.push({ path: rel, kind: finalKind(p.kind, sig) });
    }
    this.arm();
    if (out.length > 0) this.onSettled(out);
  }
}
