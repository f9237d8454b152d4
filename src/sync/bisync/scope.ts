/**
 * A scoped bisync pass (bisync --watch, docs/watch.md): the names a watcher or a webhook reported.
 * Each scope path covers the name itself and everything below it (a file, or a folder to rescan).
 * The planner considers only paths in scope; every other saved record is carried over unchanged.
 * The listings of a scoped pass are small: a stat / walk below each name locally, a prefix listing
 * per name on B2 (or one full listing, filtered, when the names are many). See scope-listing.ts.
 */
import { compareB2Order } from '../march.js';

/** What a scoped pass looks at; `paths` relative to the pair's root, '/'-separated. */
export interface BisyncScope {
  paths: string[];
  /** How the B2 side is listed: a prefix listing per name, one full listing (filtered), or chosen by count. */
  remoteListing?: 'auto' | 'per-path' | 'full';
}

/** A prefix listing per scope root costs a class C call or more: above this many roots, one full listing. */
export const PER_PATH_LISTING_MAX = 8;

/** Clean one path: '/'-separated, no leading / trailing '/', NFC; undefined for the root itself or '..'. */
function clean(p: string): string | undefined | null {
  const segs = p
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (segs.some((s) => s === '..')) return null;
  if (segs.length === 0) return undefined;
  return segs.join('/').normalize('NFC');
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** The scope as a sorted set of roots, none below another. */
export class ScopeSet {
  /** Sorted in B2 order; none is below another. */
  readonly roots: string[];
  private readonly set: Set<string>;

  private constructor(roots: string[]) {
    this.roots = roots;
    this.set = new Set(roots);
  }

  /**
   * The scope's roots, or undefined when it covers the whole pair (the root itself, or a path that is
   * not below the root). With empty-folder markers, a name's parent folder is rescanned too, since
   * its .bzEmpty marker comes or goes with the name.
   */
  static of(scope: BisyncScope, markers: boolean): ScopeSet | undefined {
    const all = new Set<string>();
    for (const raw of scope.paths) {
      const p = clean(raw);
      if (p === undefined || p === null) return undefined;
      all.add(p);
      if (markers && parentOf(p) !== '') all.add(parentOf(p));
    }
    const sorted = [...all].sort(compareB2Order);
    const roots: string[] = [];
    const kept = new Set<string>();
    for (const p of sorted)
      if (!hasAncestorIn(kept, p)) {
        roots.push(p);
        kept.add(p);
      }
    return new ScopeSet(roots.sort(compareB2Order));
  }

  /** Is `path` a root or below one? */
  has(path: string): boolean {
    return this.set.has(path) || hasAncestorIn(this.set, path);
  }
}

function hasAncestorIn(set: Set<string>, path: string): boolean {
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) if (set.has(path.slice(0, i))) return true;
  return false;
}
