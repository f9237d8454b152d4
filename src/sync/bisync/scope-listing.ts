/**
 * The listings of a scoped pass (scope.ts), in the same form and order as the full ones: locally the
 * entry of each scope root read from its parent folder (so names, twins, symlinks and bad names are
 * seen as the full walk sees them) and a walk below it when it is a folder; on B2 a prefix listing per
 * root, or one full listing filtered by the scope. Both are gathered in memory (a scope is small) and
 * sorted in B2 order.
 */
import { lstatSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { compareB2Order } from '../march.js';
import { entryFromVersion, LIST_PAGE_SIZE, listB2Batches } from '../remotes/b2.js';
import { readItems, type Item } from '../remotes/local-dir.js';
import { EMPTY_DIR_MARKER, walkLocalBatches, type LocalWalkOptions } from '../remotes/local.js';
import type { Entry } from '../types.js';
import type { B2Side } from './exec-context.js';
import { PER_PATH_LISTING_MAX, type ScopeSet } from './scope.js';

const OUT_BATCH = 2048;

function* batches(entries: Entry[]): Generator<Entry[]> {
  entries.sort((a, b) => compareB2Order(a.path, b.path));
  let out: Entry[] = [];
  let prev: string | undefined;
  for (const e of entries) {
    if (e.path === prev) continue;
    prev = e.path;
    out.push(e);
    if (out.length >= OUT_BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

function parentAndBase(p: string): [string, string] {
  const i = p.lastIndexOf('/');
  return i < 0 ? ['', p] : [p.slice(0, i), p.slice(i + 1)];
}

function isDir(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** The local entries in scope: each root's own entry, and everything below a root that is a folder. */
export async function* scopedLocalBatches(
  root: string,
  scope: ScopeSet,
  opts: LocalWalkOptions,
): AsyncGenerator<Entry[]> {
  const byParent = new Map<string, string[]>();
  for (const r of scope.roots) {
    const [parent, base] = parentAndBase(r);
    const list = byParent.get(parent) ?? [];
    list.push(base);
    byParent.set(parent, list);
  }
  const out: Entry[] = [];
  const warn = opts.onWarning ?? (() => {});
  const fail = opts.onError ?? warn;
  for (const [parent, bases] of byParent) {
    opts.signal?.throwIfAborted();
    const dirPath = parent === '' ? root : join(root, ...parent.split('/'));
    if (!isDir(dirPath)) continue; // gone: every name below it is gone locally
    const rel = parent === '' ? '' : parent + '/';
    const items = await readItems(dirPath + sep, rel, opts, warn, fail);
    if (!items) continue;
    const wanted = new Set(bases);
    for (const it of items) {
      const base = it.dir ? it.key.slice(0, -1) : it.key;
      if (!wanted.has(base)) continue;
      if (it.dir) await below(dirPath + sep + it.name, rel + it.key, it, opts, out);
      else fileEntry(dirPath + sep + it.name, rel + it.key, it, fail, out);
    }
  }
  yield* batches(out);
}

function fileEntry(localPath: string, path: string, it: Item, fail: (i: string, m: string) => void, out: Entry[]) {
  let s = it.stats;
  try {
    s ??= lstatSync(localPath, { throwIfNoEntry: false });
  } catch (e) {
    fail(path, `cannot stat: ${(e as Error).message}`);
    return;
  }
  if (!s) return;
  const e: Entry = { path, size: s.size, mtimeMs: Math.round(s.mtimeMs), localPath, ino: s.ino, kind: 'file' };
  if (it.twin) e.twin = true;
  out.push(e);
}

/** Everything below a folder in scope (its marker when it is empty and markers are kept). */
async function below(dirPath: string, rel: string, it: Item, opts: LocalWalkOptions, out: Entry[]): Promise<void> {
  let n = 0;
  for await (const batch of walkLocalBatches(dirPath, opts))
    for (const e of batch) {
      n++;
      const x: Entry = { ...e, path: rel + e.path };
      if (it.twin) x.twin = true;
      out.push(x);
    }
  if (n > 0 || !opts.emptyDirMarkers) return;
  const items = await readItems(
    dirPath + sep,
    rel,
    opts,
    () => {},
    () => {},
  );
  if (!items || items.length > 0) return;
  const s = statSync(dirPath, { throwIfNoEntry: false });
  out.push({
    path: rel + EMPTY_DIR_MARKER,
    size: 0,
    mtimeMs: Math.round(s?.mtimeMs ?? 0),
    localPath: dirPath + sep + EMPTY_DIR_MARKER,
    kind: 'marker',
  });
}

/** Names in one prefix listing that cannot be in scope once the listing passed `root/`: stop there. */
function pastRoot(name: string, root: string): boolean {
  return name.length > root.length && name.charCodeAt(root.length) > 0x2f;
}

/** The B2 entries in scope. */
export async function* scopedRemoteBatches(
  remote: B2Side,
  scope: ScopeSet,
  opts: { markers?: boolean; signal?: AbortSignal; listing?: 'auto' | 'per-path' | 'full' },
): AsyncGenerator<Entry[]> {
  const markers = opts.markers === true;
  const full = opts.listing === 'full' || (opts.listing !== 'per-path' && scope.roots.length > PER_PATH_LISTING_MAX);
  if (full) {
    for await (const batch of listB2Batches(remote.client, remote.bucketId, remote.prefix, opts)) {
      const inScope = batch.filter((e) => scope.has(e.path));
      if (inScope.length > 0) yield inScope;
    }
    return;
  }
  const out: Entry[] = [];
  for (const r of scope.roots) {
    const query = { prefix: remote.prefix + r, pageSize: LIST_PAGE_SIZE, signal: opts.signal };
    for await (const fv of remote.client.listFileNames(remote.bucketId, query)) {
      const e = entryFromVersion(fv, remote.prefix);
      if (!e) continue;
      if (pastRoot(e.path, r)) break;
      if (scope.has(e.path) && (markers || e.kind !== 'marker')) out.push(e);
    }
  }
  yield* batches(out);
}
