/** Local-side helpers: walking a folder (no symlinks followed), safe joins for downloaded names. */
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { UsageError } from '../../core/errors.js';

export interface LocalFile {
  path: string;
  /** Relative path with '/' separators. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/** Every regular file under dir, sorted by relative path; symlinks and other specials are reported via onSkip. */
export async function walkLocal(dir: string, onSkip?: (path: string, why: string) => void): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    const entries = await readdir(abs, { withFileTypes: true });
    for (const e of entries) {
      const p = join(abs, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p, r);
      else if (e.isFile()) {
        const st = await lstat(p);
        out.push({ path: p, rel: r, size: st.size, mtimeMs: st.mtimeMs });
      } else onSkip?.(p, e.isSymbolicLink() ? 'symbolic link skipped' : 'not a regular file');
    }
  }
  await walk(dir, '');
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** join(base, name) refusing names that would land outside base ("..", absolute). */
export function safeJoin(base: string, name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || (p.includes('\\') && process.platform === 'win32'))) {
    throw new UsageError(`refusing to write "${name}": the name would land outside ${base}`);
  }
  const target = resolve(base, ...parts);
  const root = resolve(base);
  if (target !== root && !target.startsWith(root + sep))
    throw new UsageError(`refusing to write "${name}" outside ${base}`);
  return target;
}

export async function statOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
