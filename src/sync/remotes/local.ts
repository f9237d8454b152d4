/**
 * The local side: a streaming walk of a directory tree that yields files in B2's order (UTF-8 bytes of
 * the full relative path), plus the few filesystem operations the executor needs.
 *
 * Order: inside one directory, a subdirectory "d" is sorted by the key "d/" (its children all start with
 * it), a file by its own name. Because no name contains '/', nothing can sort between "d/" and the last
 * "d/…" key, so a depth-first walk over per-directory lists sorted that way yields the global order
 * ("a-b" < "a/b" < "a0"). Memory: one sorted list per directory on the current path (depth × width).
 *
 * Names: each path segment is normalised to NFC (the B2 name); the on-disk name is kept for I/O.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { join } from 'node:path';
import { compareUtf8 } from '../../wire/names.js';
import { TEMP_SUFFIX } from '../../transfer/index.js';
import type { Entry } from '../types.js';

export const EMPTY_DIR_MARKER = '.bzEmpty';

export interface LocalWalkOptions {
  copyLinks?: boolean;
  /** Yield "<dir>/.bzEmpty" marker entries for empty directories. */
  emptyDirMarkers?: boolean;
  onWarning?: (item: string, message: string) => void;
  /** A directory or file that exists but could not be read: the listing is incomplete. */
  onError?: (item: string, message: string) => void;
  signal?: AbortSignal;
}

interface Item {
  name: string;
  nfc: string;
  key: string;
  dir: boolean;
  stats?: Stats;
}

const STAT_BATCH = 64;

/** Is the root a directory, missing, or something else? */
export async function localRootState(root: string): Promise<'dir' | 'missing' | 'not-dir'> {
  try {
    const s = await stat(root);
    return s.isDirectory() ? 'dir' : 'not-dir';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/** Walk root, yielding files (and empty-directory markers) in B2 order. A missing root yields nothing. */
export async function* walkLocal(root: string, opts: LocalWalkOptions = {}): AsyncGenerator<Entry> {
  const warn = opts.onWarning ?? (() => {});
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) return;
  yield* walkDir(root, '', new Set([`${rootStat.dev}:${rootStat.ino}`]), opts, warn);
}

type Report = (item: string, message: string) => void;

function reportError(opts: LocalWalkOptions, warn: Report): Report {
  return opts.onError ?? warn;
}

async function* walkDir(abs: string, rel: string, ancestors: Set<string>, opts: LocalWalkOptions, warn: (item: string, message: string) => void): AsyncGenerator<Entry> {
  opts.signal?.throwIfAborted();
  let dirents: Dirent[];
  try {
    dirents = await readdir(abs, { withFileTypes: true });
  } catch (e) {
    reportError(opts, warn)(rel || '.', `cannot read directory: ${(e as Error).message}`);
    return;
  }
  const items: Item[] = [];
  for (const d of dirents) {
    const name = d.name;
    const relName = rel + name;
    if (name.endsWith(TEMP_SUFFIX)) continue;
    let dir: boolean;
    let stats: Stats | undefined;
    if (d.isSymbolicLink()) {
      if (!opts.copyLinks) {
        warn(relName, 'symlink skipped (use --copy-links to follow symlinks)');
        continue;
      }
      try {
        stats = await stat(join(abs, name));
      } catch (e) {
        warn(relName, `broken symlink skipped: ${(e as Error).message}`);
        continue;
      }
      dir = stats.isDirectory();
      if (!dir && !stats.isFile()) {
        warn(relName, 'symlink to a special file skipped');
        continue;
      }
      if (dir) stats = undefined;
    } else if (d.isDirectory()) dir = true;
    else if (d.isFile()) dir = false;
    else {
      warn(relName, 'special file (socket, fifo or device) skipped');
      continue;
    }
    const nfc = name.normalize('NFC');
    items.push({ name, nfc, key: dir ? nfc + '/' : nfc, dir, stats });
  }
  items.sort((a, b) => compareUtf8(a.key, b.key));
  // Two on-disk names with the same NFC form would map to one B2 name: keep the first.
  for (let i = 1; i < items.length; i++) {
    if (items[i].key === items[i - 1].key) {
      warn(rel + items[i].nfc, `skipped: another name in this directory has the same NFC form (${JSON.stringify(items[i - 1].name)})`);
      items.splice(i, 1);
      i--;
    }
  }
  if (items.length === 0) {
    if (opts.emptyDirMarkers && rel !== '') {
      const s = await stat(abs).catch(() => undefined);
      yield { path: rel + EMPTY_DIR_MARKER, size: 0, mtimeMs: Math.round(s?.mtimeMs ?? 0), localPath: join(abs, EMPTY_DIR_MARKER), kind: 'marker' };
    }
    return;
  }
  for (let i = 0; i < items.length; ) {
    if (items[i].dir) {
      const it = items[i++];
      const childAbs = join(abs, it.name);
      let id: string | undefined;
      if (opts.copyLinks) {
        // Guard against symlink loops: skip a directory that is one of its own ancestors.
        const s = await stat(childAbs).catch(() => undefined);
        if (!s) continue;
        id = `${s.dev}:${s.ino}`;
        if (ancestors.has(id)) {
          warn(rel + it.nfc, 'symlink loop skipped');
          continue;
        }
        ancestors.add(id);
      }
      yield* walkDir(childAbs, rel + it.nfc + '/', ancestors, opts, warn);
      if (id) ancestors.delete(id);
      continue;
    }
    // A run of files: stat up to STAT_BATCH of them at once, then yield in order.
    const batch: Item[] = [];
    while (i < items.length && !items[i].dir && batch.length < STAT_BATCH) batch.push(items[i++]);
    const stats = await Promise.all(
      batch.map((it) =>
        it.stats
          ? Promise.resolve(it.stats)
          : lstat(join(abs, it.name)).catch((e: Error) => {
              if ((e as NodeJS.ErrnoException).code === 'ENOENT') warn(rel + it.nfc, `vanished while listing: ${e.message}`);
              else reportError(opts, warn)(rel + it.nfc, `cannot stat: ${e.message}`);
              return undefined;
            }),
      ),
    );
    for (let k = 0; k < batch.length; k++) {
      const s = stats[k];
      if (!s) continue;
      yield {
        path: rel + batch[k].nfc,
        size: s.size,
        mtimeMs: Math.round(s.mtimeMs),
        localPath: join(abs, batch[k].name),
        ino: s.ino,
        kind: 'file',
      };
    }
  }
}

/**
 * The local path for a B2-derived relative path, or a reason it cannot be written safely
 * (empty, "." or ".." segments, NUL).
 */
export function localPathFor(root: string, path: string): { path: string } | { problem: string } {
  const segs = path.split('/');
  for (const s of segs) {
    if (s === '' || s === '.' || s === '..') return { problem: `name ${JSON.stringify(path)} cannot be a local path (empty, "." or ".." segment)` };
    if (s.includes('\0')) return { problem: `name ${JSON.stringify(path)} contains NUL` };
  }
  return { path: join(root, ...segs) };
}
