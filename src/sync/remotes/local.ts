/**
 * The local side: a streaming walk of a directory tree that yields files in B2's order (UTF-8 bytes of
 * the full relative path), plus the few filesystem operations the executor needs.
 *
 * Order: inside one directory, a subdirectory "d" is sorted by the key "d/" (its children all start with
 * it), a file by its own name. Because no name contains '/', nothing can sort between "d/" and the last
 * "d/…" key, so a depth-first walk over per-directory lists sorted that way yields the global order
 * ("a-b" < "a/b" < "a0"). Memory: one sorted list per directory on the current path (depth × width).
 *
 * Names: read as bytes; each path segment is normalised to NFC (the B2 name) and the on-disk name is
 * kept for I/O. A name that is not UTF-8 cannot be a B2 name: it is reported as a failed item (named
 * with its bytes kept as U+DC80 + byte, printed as \xNN) and not synced.
 */
import { lstatSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, sep } from 'node:path';
import type { Entry } from '../types.js';
import { readItems, type Item, type Report } from './local-dir.js';

export const EMPTY_DIR_MARKER = '.bzEmpty';

export interface LocalWalkOptions {
  copyLinks?: boolean;
  /** Yield "<dir>/.bzEmpty" marker entries for empty directories. */
  emptyDirMarkers?: boolean;
  onWarning?: (item: string, message: string) => void;
  /** A directory or file that exists but could not be read: the listing is incomplete. */
  onError?: (item: string, message: string) => void;
  /** A file or folder whose name cannot be a B2 name (not UTF-8); default: onError. */
  onBadName?: (item: string, message: string) => void;
  signal?: AbortSignal;
}

/** One directory on the current path of the walk. */
interface Frame {
  /** On-disk path of the directory, ending with the separator ('' for a root of "."). */
  prefix: string;
  /** B2-side relative path of the directory, '' or ending with '/'. */
  rel: string;
  items: Item[];
  next: number;
  /** dev:ino of a followed directory (copyLinks), removed from the ancestors when the frame ends. */
  id?: string;
  /** The directory or one of its ancestors has a twin name (same NFC form): its files are flagged too. */
  twin?: boolean;
}

/**
 * Files stat'ed synchronously (lstatSync is several times cheaper than a promise-based lstat through
 * the thread pool) between two yields to the event loop, so the B2 listing's HTTP keeps flowing.
 */
const STAT_BATCH = 256;
/**
 * Entries the walk may run ahead of its consumer: while the march waits for a B2 listing page, the
 * walk goes on stat'ing instead of idling (docs/performance.md, sync). ~200 bytes an entry.
 */
const WALK_AHEAD = 16_384;

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

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Walk root, yielding files (and empty-directory markers) in B2 order. A missing root yields nothing.
 * The walk runs ahead of the consumer into a bounded buffer (WALK_AHEAD), one batch per event-loop turn.
 */
export async function* walkLocal(root: string, opts: LocalWalkOptions = {}): AsyncGenerator<Entry> {
  const signal = opts.signal;
  for await (const batch of walkLocalBatches(root, opts)) {
    for (let i = 0; i < batch.length; i++) {
      signal?.throwIfAborted();
      yield batch[i];
    }
  }
}

/** walkLocal in batches (never empty): whatever the walk buffered since the consumer last asked. */
export async function* walkLocalBatches(root: string, opts: LocalWalkOptions = {}): AsyncGenerator<Entry[]> {
  const walk = new Walk(opts);
  const signal = opts.signal;
  const pumping = walk.run(root);
  try {
    for (;;) {
      const batch = walk.take();
      if (batch.length > 0) {
        signal?.throwIfAborted();
        yield batch;
        continue;
      }
      if (walk.finished) {
        if (walk.failed) throw walk.error;
        return;
      }
      await walk.more();
    }
  } finally {
    walk.stop();
    await pumping;
  }
}

/** The walk's producer side: a depth-first stack of sorted directory lists, output buffered for walkLocal. */
class Walk {
  finished = false;
  failed = false;
  error: unknown;
  private out: Entry[] = [];
  private stopped = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly warn: Report;
  private readonly fail: Report;
  private readonly stack: Frame[] = [];
  private readonly ancestors = new Set<string>();

  constructor(private readonly opts: LocalWalkOptions) {
    this.warn = opts.onWarning ?? (() => {});
    this.fail = opts.onError ?? this.warn;
  }

  /** The entries buffered so far (the consumer owns the array). Wakes a producer waiting for room. */
  take(): Entry[] {
    const got = this.out;
    if (got.length > 0) {
      this.out = [];
      this.wake('producer');
    }
    return got;
  }

  more(): Promise<void> {
    return new Promise<void>((r) => (this.wakeConsumer = r));
  }

  stop(): void {
    this.stopped = true;
    this.wake('producer');
  }

  private wake(who: 'producer' | 'consumer'): void {
    const w = who === 'producer' ? this.wakeProducer : this.wakeConsumer;
    if (who === 'producer') this.wakeProducer = undefined;
    else this.wakeConsumer = undefined;
    w?.();
  }

  private emit(e: Entry): void {
    this.out.push(e);
    if (this.out.length === 1) this.wake('consumer');
  }

  async run(root: string): Promise<void> {
    try {
      await this.walk(root);
    } catch (e) {
      this.failed = true;
      this.error = e;
    }
    this.finished = true;
    this.wake('consumer');
  }

  private async walk(root: string): Promise<void> {
    const rootStat = await stat(root).catch(() => undefined);
    if (!rootStat?.isDirectory()) return;
    this.ancestors.add(`${rootStat.dev}:${rootStat.ino}`);
    // join(root, 'x') minus the 'x': the normalised root with a trailing separator, so that every
    // localPath equals join(root, ...segments) without a join per file.
    const rootPrefix = join(root, 'x').slice(0, -1);
    const first = await readItems(rootPrefix, '', this.opts, this.warn, this.fail);
    if (!first || first.length === 0) return;
    this.stack.push({ prefix: rootPrefix, rel: '', items: first, next: 0 });
    const stack = this.stack;
    while (stack.length > 0 && !this.stopped) {
      this.opts.signal?.throwIfAborted();
      if (this.out.length >= WALK_AHEAD) {
        await new Promise<void>((r) => (this.wakeProducer = r));
        continue;
      }
      const top = stack[stack.length - 1];
      if (top.next >= top.items.length) {
        stack.pop();
        if (top.id) this.ancestors.delete(top.id);
      } else if (top.items[top.next].dir) await this.enter(top, top.items[top.next++]);
      else {
        this.statRun(top);
        await yieldToEventLoop();
      }
    }
  }

  /** Read a subdirectory and push its frame (or yield its empty-directory marker). */
  private async enter(top: Frame, it: Item): Promise<void> {
    const childPrefix = top.prefix + it.name + sep;
    const childRel = top.rel + it.key;
    let id: string | undefined;
    if (this.opts.copyLinks) {
      // Guard against symlink loops: skip a directory that is one of its own ancestors.
      const s = statQuiet(childPrefix.slice(0, -1));
      if (!s) return;
      id = `${s.dev}:${s.ino}`;
      if (this.ancestors.has(id)) {
        this.warn(childRel.slice(0, -1), 'symlink loop skipped');
        return;
      }
      this.ancestors.add(id);
    }
    const items = await readItems(childPrefix, childRel, this.opts, this.warn, this.fail);
    if (!items || items.length === 0) {
      if (id) this.ancestors.delete(id);
      if (items && this.opts.emptyDirMarkers) {
        const s = statQuiet(childPrefix.slice(0, -1));
        this.emit({
          path: childRel + EMPTY_DIR_MARKER,
          size: 0,
          mtimeMs: Math.round(s?.mtimeMs ?? 0),
          localPath: childPrefix + EMPTY_DIR_MARKER,
          kind: 'marker',
        });
      }
      return;
    }
    const twin = top.twin || it.twin;
    this.stack.push({ prefix: childPrefix, rel: childRel, items, next: 0, id, twin });
  }

  /** Stat up to STAT_BATCH files of the run starting at top.next, synchronously, in order. */
  private statRun(top: Frame): void {
    const items = top.items;
    const end = Math.min(items.length, top.next + STAT_BATCH);
    let k = top.next;
    for (; k < end && !items[k].dir; k++) {
      const f = items[k];
      const localPath = top.prefix + f.name;
      let s: Stats | undefined = f.stats;
      if (!s) {
        try {
          s = lstatSync(localPath, { throwIfNoEntry: false });
          if (!s)
            this.warn(
              top.rel + f.key,
              `vanished while listing: ENOENT: no such file or directory, lstat '${localPath}'`,
            );
        } catch (e) {
          this.fail(top.rel + f.key, `cannot stat: ${(e as Error).message}`);
        }
      }
      if (s) {
        const e: Entry = {
          path: top.rel + f.key,
          size: s.size,
          mtimeMs: Math.round(s.mtimeMs),
          localPath,
          ino: s.ino,
          kind: 'file',
        };
        if (top.twin || f.twin) e.twin = true;
        this.emit(e);
      }
    }
    top.next = k;
  }
}

function statQuiet(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
