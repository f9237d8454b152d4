/**
 * Local names bisync may create. A download (or a local rename) never makes a name that differs from
 * an existing one only in unicode form (NFC vs NFD), or only in case on a file system that ignores
 * case (found by probing the local root once): that would merge or overwrite two files silently, so it
 * is reported as a conflict for the user to resolve. A folder segment that exists under another
 * unicode form is the same folder to the walk (it keys names by NFC), so the file goes into it.
 * Folder contents are read once each and then kept up to date with the names this run creates.
 */
import { lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TEMP_SUFFIX } from '../../transfer/index.js';
import { bytesToName } from '../../wire/names.js';
import { localPathFor } from '../remotes/local-path.js';
import type { Entry } from '../types.js';

/** Several on-disk names share one folded form. */
const SEVERAL = null;
type Folded = Map<string, string | typeof SEVERAL>;

export class LocalNames {
  /** Set by probe(): "A" and "a" are one name on this file system. */
  caseInsensitive = false;
  private readonly dirs = new Map<string, Promise<Folded>>();

  constructor(readonly root: string) {}

  /** Find out whether the local root's file system ignores case (the root must exist). */
  async probe(): Promise<void> {
    const base = `.b2sync-case-${randomBytes(4).toString('hex')}`;
    const lower = join(this.root, base + TEMP_SUFFIX);
    await writeFile(lower, '', { flag: 'wx' });
    try {
      const upper = join(this.root, base.toUpperCase() + TEMP_SUFFIX.toUpperCase());
      this.caseInsensitive = await lstat(upper).then(
        () => true,
        () => false,
      );
    } finally {
      await rm(lower, { force: true });
    }
  }

  fold(name: string): string {
    const n = name.normalize('NFC');
    return this.caseInsensitive ? n.toLowerCase() : n;
  }

  private names(dir: string): Promise<Folded> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = readdir(dir, { encoding: 'buffer' }).then(
        (raw) => {
          const m: Folded = new Map();
          for (const b of raw) this.add(m, bytesToName(b).name);
          return m;
        },
        () => new Map() as Folded,
      );
      this.dirs.set(dir, p);
    }
    return p;
  }

  private add(m: Folded, name: string): void {
    const k = this.fold(name);
    const had = m.get(k);
    if (had === undefined) m.set(k, name);
    else if (had !== name) m.set(k, SEVERAL);
  }

  /**
   * The on-disk path for `rel` (a B2-side relative path) as a new or replaced local file, or why it
   * cannot be written. The names on the way are recorded as this run's.
   */
  async target(rel: string): Promise<{ path: string } | { problem: string }> {
    const checked = localPathFor(this.root, rel);
    if ('problem' in checked) return checked;
    const segs = rel.split('/');
    let dir = this.root;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i];
      const m = await this.names(dir);
      const had = m.get(this.fold(seg));
      const last = i === segs.length - 1;
      if (had === SEVERAL) return { problem: twinProblem(seg, last) };
      if (had !== undefined && had !== seg) {
        const unicodeOnly = had.normalize('NFC') === seg.normalize('NFC');
        if (last || !unicodeOnly) return { problem: clashProblem(had, seg, unicodeOnly, last) };
        dir = join(dir, had);
        continue;
      }
      if (had === undefined) m.set(this.fold(seg), seg);
      dir = join(dir, seg);
    }
    return { path: dir };
  }

  /** A local name went away (deleted or renamed by this run). */
  async forget(abs: string): Promise<void> {
    const p = this.dirs.get(dirname(abs));
    if (!p) return;
    const m = await p;
    const name = basename(abs);
    const k = this.fold(name);
    if (m.get(k) === name) m.delete(k);
  }
}

function twinProblem(seg: string, last: boolean): string {
  return `not written: several local ${last ? 'files' : 'folders'} already have names that differ from "${seg}" only in unicode form or case; keep one of them (a conflict to resolve)`;
}

function clashProblem(had: string, seg: string, unicodeOnly: boolean, last: boolean): string {
  const how = unicodeOnly ? 'unicode form (NFC / NFD)' : 'case (this file system ignores case)';
  return `not written: the local ${last ? 'file' : 'folder'} "${had}" differs from "${seg}" only in ${how}; rename one of them (a conflict to resolve)`;
}

/** Is the local file still as listed? 'gone' when it no longer exists. */
export async function localState(e: Entry): Promise<'same' | 'changed' | 'gone'> {
  let s;
  try {
    s = await lstat(e.localPath!);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  if (!s.isFile() || s.size !== e.size || Math.round(s.mtimeMs) !== e.mtimeMs) return 'changed';
  if (e.ino !== undefined && s.ino !== e.ino) return 'changed';
  return 'same';
}

/** Does anything exist at this local path? */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
