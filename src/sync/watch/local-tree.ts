/**
 * What the local watcher knows of the tree besides its events: how native paths become the walk's
 * relative names ('/'-separated, NFC, as remotes/local.ts names them), which paths are never reported
 * (our own download temp files, what the caller ignores), the set of directories (a rename or removal
 * of a directory arrives as one event for the directory alone, so a delete must be known to be a
 * directory's to be reported as 'unknown'), and a count of the files (for the status line).
 */
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { TEMP_SUFFIX } from '../../transfer/index.js';

export class LocalTree {
  /** The root with a trailing separator: every native path below it starts with this. */
  readonly prefix: string;
  /** Relative paths of the directories below the root. Memory: one string per directory, not per file. */
  private readonly dirs = new Set<string>();
  private fileCount = 0;

  constructor(
    readonly root: string,
    private readonly ignore?: (rel: string) => boolean,
  ) {
    this.prefix = join(root, 'x').slice(0, -1);
  }

  get files(): number {
    return this.fileCount;
  }

  /** The relative name of a native path, or undefined for the root itself, paths outside it and ignored ones. */
  relative(abs: string): string | undefined {
    if (!abs.startsWith(this.prefix) || abs.length === this.prefix.length) return undefined;
    let rel = abs.slice(this.prefix.length);
    if (sep !== '/') rel = rel.split(sep).join('/');
    rel = rel.normalize('NFC');
    if (rel.endsWith(TEMP_SUFFIX) || this.ignore?.(rel)) return undefined;
    return rel;
  }

  isDir(rel: string): boolean {
    return this.dirs.has(rel);
  }

  /** Count the files below `rel` ('' = the root; on disk at `abs`) and remember its directories (synchronous). */
  scan(rel = '', abs = this.root): void {
    const stack: [string, string][] = [[rel, abs]];
    while (stack.length > 0) {
      const [dir, at] = stack.pop()!;
      let names;
      try {
        names = readdirSync(at, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const d of names) {
        const child = dir === '' ? d.name.normalize('NFC') : `${dir}/${d.name.normalize('NFC')}`;
        if (d.name.endsWith(TEMP_SUFFIX) || this.ignore?.(child)) continue;
        if (d.isDirectory()) {
          this.dirs.add(child);
          stack.push([child, join(at, d.name)]);
        } else this.fileCount++;
      }
    }
  }

  /** A created directory: remember it and what is already below it. */
  addDir(rel: string, abs: string): void {
    if (this.dirs.has(rel)) return;
    this.dirs.add(rel);
    this.scan(rel, abs);
  }

  addFile(): void {
    this.fileCount++;
  }

  /** Does a known directory hold known directories? */
  hasSubdirs(rel: string): boolean {
    const below = rel + '/';
    for (const d of this.dirs) if (d.startsWith(below)) return true;
    return false;
  }

  /** A removed directory: forget it and every directory below it. */
  removeDir(rel: string): void {
    this.dirs.delete(rel);
    const below = rel + '/';
    for (const d of this.dirs) if (d.startsWith(below)) this.dirs.delete(d);
  }

  removeFile(): void {
    if (this.fileCount > 0) this.fileCount--;
  }

  /** The directories, for a checkpoint. */
  dirList(): string[] {
    return [...this.dirs];
  }

  /** Directories known at the last checkpoint (gone ones among them are how offline dir removals are told). */
  restoreDirs(list: string[]): void {
    for (const d of list) this.dirs.add(d);
  }
}
