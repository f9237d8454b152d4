/** Local-side helpers: walking a folder (no symlinks followed, names read as bytes), stat or undefined. */
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToName, notUtf8Problem } from '../../wire/names.js';

export interface LocalFile {
  path: string;
  /** Relative path with '/' separators. */
  rel: string;
  size: number;
  mtimeMs: number;
  /** Why this file cannot be uploaded (a name that is not UTF-8): reported as a failed item. */
  problem?: string;
}

/**
 * Every regular file under dir, sorted by relative path; symlinks and other specials are reported via
 * onSkip. Names are read as bytes: a file or folder whose name is not UTF-8 comes back as one item
 * with a problem (its name keeping each stray byte as U+DC80 + byte), never walked into or read.
 */
export async function walkLocal(dir: string, onSkip?: (path: string, why: string) => void): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    const entries = await readdir(abs, { withFileTypes: true, encoding: 'buffer' });
    for (const e of entries) {
      const { name, valid } = bytesToName(e.name);
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      if (!valid) out.push({ path: p, rel: r, size: 0, mtimeMs: 0, problem: notUtf8Problem(e.isDirectory()) });
      else if (e.isDirectory()) await walk(p, r);
      else if (e.isFile()) {
        const st = await lstat(p);
        out.push({ path: p, rel: r, size: st.size, mtimeMs: st.mtimeMs });
      } else onSkip?.(p, e.isSymbolicLink() ? 'symbolic link skipped' : 'not a regular file');
    }
  }
  await walk(dir, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

export async function statOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
