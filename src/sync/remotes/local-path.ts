/** Names from B2 as local paths: only when every segment stays inside the destination folder. */
import { join } from 'node:path';

/**
 * The local path for a B2-derived relative path, or a reason it cannot be written safely
 * (empty, "." or ".." segments, NUL).
 */
export function localPathFor(root: string, path: string): { path: string } | { problem: string } {
  const segs = path.split('/');
  for (const s of segs) {
    if (s === '' || s === '.' || s === '..')
      return { problem: `name ${JSON.stringify(path)} cannot be a local path (empty, "." or ".." segment)` };
    if (s.includes('\0')) return { problem: `name ${JSON.stringify(path)} contains NUL` };
  }
  return { path: join(root, ...segs) };
}
