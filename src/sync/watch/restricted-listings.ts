/**
 * Listings restricted to the paths a watch batch named, for the same planner a full sync uses
 * (phases/plan.ts): on a local side a stat of each path (a walk when it is a folder), on B2 a listing
 * of each name (the name itself and what lies under "name/"), or, past PER_PATH_LISTING_MAX paths,
 * one listing of the whole prefix kept to the named paths (one class C call per 10,000 names instead
 * of one per path). Both come back in B2 order, as one batch each.
 */
import { lstat, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { compareB2Order } from '../march.js';
import type { Listings } from '../phases/plan.js';
import { entryFromVersion, listB2Batches } from '../remotes/b2.js';
import { walkLocalBatches } from '../remotes/local.js';
import type { Side } from '../sides.js';
import type { SyncRun } from '../sync-run.js';
import type { Entry } from '../types.js';

/** Up to this many paths, B2 is listed name by name; more, and the prefix is listed once. */
export const PER_PATH_LISTING_MAX = 16;
/** maxFileCount of a listing of one name (and what lies under it). */
const NAME_PAGE_SIZE = 1000;

type Role = 'source' | 'destination';

/** The named paths without those under another named path ("a" covers "a/b"), in B2 order. */
export function coveringPaths(paths: Iterable<string>): string[] {
  const sorted = [...new Set(paths)].filter((p) => p !== '').sort(compareB2Order);
  const out: string[] = [];
  const set = new Set<string>();
  for (const p of sorted) {
    if (ancestorIn(p, set)) continue;
    out.push(p);
    set.add(p);
  }
  return out;
}

/** Is p, or a folder above it, in the set? */
function ancestorIn(p: string, set: ReadonlySet<string>): boolean {
  if (set.has(p)) return true;
  for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) if (set.has(p.slice(0, i))) return true;
  return false;
}

function reporter(run: SyncRun, role: Role) {
  return {
    onWarning: (item: string, message: string) => run.emit({ type: 'warning', item, message }),
    onError: (item: string, message: string) => {
      if (role === 'source') run.srcIncomplete++;
      run.error(item, `list ${role}: ${message}`);
    },
    onBadName: (item: string, message: string) => run.error(item, `list ${role}: ${message}`),
  };
}

async function statEntry(run: SyncRun, target: string, p: string, role: Role): Promise<Stats | undefined> {
  try {
    const l = await lstat(target);
    if (!l.isSymbolicLink()) return l;
    if (!run.opts.copyLinks) {
      run.emit({ type: 'warning', item: p, message: 'symlink skipped (use --copy-links to follow symlinks)' });
      return undefined;
    }
    return await stat(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    reporter(run, role).onError(p, `cannot stat: ${(e as Error).message}`);
    return undefined;
  }
}

async function localEntries(run: SyncRun, side: Extract<Side, { kind: 'local' }>, paths: string[], role: Role) {
  const out: Entry[] = [];
  for (const p of paths) {
    const target = join(side.root, ...p.split('/'));
    const s = await statEntry(run, target, p, role);
    if (!s) continue;
    if (s.isFile()) {
      out.push({ path: p, size: s.size, mtimeMs: Math.round(s.mtimeMs), localPath: target, ino: s.ino, kind: 'file' });
      continue;
    }
    if (!s.isDirectory()) continue;
    const walk = walkLocalBatches(target, {
      copyLinks: run.opts.copyLinks,
      emptyDirMarkers: run.opts.createEmptySrcDirs,
      signal: run.signal,
      ...reporter(run, role),
    });
    for await (const batch of walk) for (const e of batch) out.push({ ...e, path: `${p}/${e.path}` });
  }
  return out;
}

/** One name on B2 and what lies under "name/": the listing starts at the name and stops past "name/…". */
async function listName(run: SyncRun, side: Extract<Side, { kind: 'b2' }>, p: string, out: Entry[]): Promise<void> {
  const markers = run.opts.createEmptySrcDirs === true;
  const dir = p + '/';
  const pages = side.client.listFileNames(side.bucketId, {
    prefix: side.prefix + p,
    pageSize: NAME_PAGE_SIZE,
    signal: run.signal,
  });
  for await (const fv of pages) {
    const e = entryFromVersion(fv, side.prefix);
    if (!e) continue;
    if (e.path === p || e.path.startsWith(dir)) {
      if (markers || e.kind !== 'marker') out.push(e);
    } else if (compareB2Order(e.path, dir) > 0) break;
  }
}

async function b2Entries(run: SyncRun, side: Extract<Side, { kind: 'b2' }>, paths: string[]): Promise<Entry[]> {
  const out: Entry[] = [];
  if (paths.length <= PER_PATH_LISTING_MAX) {
    for (const p of paths) await listName(run, side, p, out);
    return out;
  }
  const wanted = new Set(paths);
  const listing = listB2Batches(side.client, side.bucketId, side.prefix, {
    markers: run.opts.createEmptySrcDirs,
    signal: run.signal,
  });
  for await (const batch of listing) for (const e of batch) if (ancestorIn(e.path, wanted)) out.push(e);
  return out;
}

async function sideEntries(run: SyncRun, side: Side, paths: string[], role: Role): Promise<Entry[]> {
  const entries =
    side.kind === 'local' ? await localEntries(run, side, paths, role) : await b2Entries(run, side, paths);
  entries.sort((a, b) => compareB2Order(a.path, b.path));
  const unique = entries.filter((e, i) => i === 0 || entries[i - 1].path !== e.path);
  if (role === 'source' && side.kind === 'b2' && run.dst.kind === 'local')
    for (const e of unique) run.conflicts.add(e.path);
  return unique;
}

async function* once(entries: Entry[]): AsyncGenerator<Entry[]> {
  if (entries.length > 0) yield entries;
}

/** Both sides' entries for these paths (each a file, a folder, or gone), in B2 order. */
export async function restrictedListings(run: SyncRun, paths: Iterable<string>): Promise<Listings> {
  const covering = coveringPaths(paths);
  const [src, dst] = await Promise.all([
    sideEntries(run, run.src, covering, 'source'),
    sideEntries(run, run.dst, covering, 'destination'),
  ]);
  return { src: once(src), dst: once(dst) };
}

/** The entries behind restricted listings, for callers that look at them before planning (renames). */
export async function collect(it: AsyncIterable<Entry[]>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const b of it) out.push(...b);
  return out;
}
