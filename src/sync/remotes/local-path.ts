/**
 * Names from B2 as local paths: only when every segment stays inside the destination folder, and
 * never a name that B2 holds both as a file and as a folder ("a" and "a/b").
 */
import { join } from 'node:path';

/**
 * The local path for a B2-derived relative path, or a reason it cannot be written safely (an empty,
 * "." or ".." segment: "../x", "./x", "a//b", "/abs", "dir/"; a NUL). The reason does not repeat the
 * name: the caller reports it as the item.
 */
export function localPathFor(root: string, path: string): { path: string } | { problem: string } {
  const segs = path.split('/');
  for (const s of segs) {
    if (s === '' || s === '.' || s === '..')
      return { problem: 'this B2 name cannot be a local path (it has an empty, "." or ".." segment): not written' };
    if (s.includes('\0')) return { problem: 'this B2 name cannot be a local path (it contains NUL): not written' };
  }
  return { path: join(root, ...segs) };
}

/** Why a B2 file is not written locally when the same name is also a folder on B2. */
export const FILE_AND_FOLDER =
  'this B2 name is both a file and a folder (other names start with it and "/"): a local path cannot be both, so the file is not written (the files under the folder are)';

/**
 * Finds names that are both a file and a folder in a listing taken in B2 order. Everything under
 * "a/" sorts after "a" and every name that starts with "a" is contiguous, so a stack of the names
 * the current one extends is enough; `files` collects the file names that are also folders.
 */
export class FileFolderConflicts {
  readonly files = new Set<string>();
  private readonly open: string[] = [];

  /** Take the next name (B2 order). */
  add(name: string): void {
    const open = this.open;
    while (open.length > 0 && !name.startsWith(open[open.length - 1])) open.pop();
    for (const p of open) if (name.length > p.length && name[p.length] === '/') this.files.add(p);
    open.push(name);
  }
}
