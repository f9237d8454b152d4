/** Expanding a local glob the shell left unexpanded (`put './photos/*.jpg' b2://b/dir/`) with fast-glob. */
import { lstat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import type { LocalFile } from './local-files.js';

/** True when text holds glob magic (*, ?, [...], {a,b}, extglobs) that fast-glob would expand. */
export function isLocalGlob(text: string): boolean {
  return fg.isDynamicPattern(text);
}

/** The leading path segments of a pattern that hold no magic: the folder its matches are named from. */
export function globBase(pattern: string): string {
  const segs = pattern.split('/');
  const fixed: string[] = [];
  for (const s of segs.slice(0, -1)) {
    if (s !== '' && fg.isDynamicPattern(s)) break;
    fixed.push(s);
  }
  return fixed.length === 1 && fixed[0] === '' ? '/' : fixed.join('/');
}

/**
 * Regular files matching pattern (symlinks not followed, dot files included as the shell's dotglob
 * would not: a pattern must name them), sorted; rel is the path below the pattern's fixed base.
 */
export async function expandLocalGlob(pattern: string): Promise<LocalFile[]> {
  const base = globBase(pattern);
  const paths = await fg(pattern, { onlyFiles: true, followSymbolicLinks: false, dot: false, unique: true });
  const out: LocalFile[] = [];
  for (const path of paths.sort()) {
    const rel = relative(resolve(base), resolve(path)).split(sep).join('/');
    const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
      // fast-glob reads names as UTF-8 text: a name that is not UTF-8 comes back with U+FFFD and
      // cannot be found again under that spelling.
      if (e.code === 'ENOENT' && path.includes('\ufffd')) return undefined;
      throw e;
    });
    if (!st) {
      out.push({ path, rel, size: 0, mtimeMs: 0, problem: 'name is not valid UTF-8 (B2 names are UTF-8)' });
      continue;
    }
    if (!st.isFile()) continue;
    out.push({ path, rel, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}
