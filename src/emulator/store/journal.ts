/**
 * On-disk metadata: a snapshot (meta.json, replaced atomically by write-to-temp + rename) plus an
 * append-only journal (journal.jsonl, one JSON entry per line). Appends are group-committed: entries
 * queued while a write is in flight go out together in the next write. When the journal grows large
 * it is folded into a new snapshot.
 */
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalFiles<E> {
  snapshot: unknown;
  entries: E[];
}

export class Journal<E> {
  private fh: FileHandle | undefined;
  private pending: string[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running: Promise<void> | undefined;
  /** True while run() is draining `pending`; cleared in the same tick the loop sees it empty. */
  private active = false;
  private lines = 0;
  private closed = false;

  private constructor(
    private readonly dir: string,
    /** Serialize the whole current state (called synchronously when nothing is pending). */
    private readonly takeSnapshot: () => unknown,
    /** Fold into a snapshot once the journal holds more lines than this returns. */
    private readonly compactAfter: () => number,
  ) {}

  /** Read what a previous run left: the snapshot (or undefined) and the journal entries after it. */
  static async read<E>(dir: string): Promise<JournalFiles<E>> {
    let snapshot: unknown;
    try {
      snapshot = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const entries: E[] = [];
    let text = '';
    try {
      text = await readFile(join(dir, 'journal.jsonl'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as E);
      } catch {
        // A line cut short by a crash: everything before it is intact, nothing after it was acknowledged.
        break;
      }
    }
    return { snapshot, entries };
  }

  /** Start a fresh journal after writing the current state as the snapshot. */
  static async start<E>(dir: string, takeSnapshot: () => unknown, compactAfter: () => number): Promise<Journal<E>> {
    const j = new Journal<E>(dir, takeSnapshot, compactAfter);
    await j.writeSnapshot();
    return j;
  }

  private async writeSnapshot(): Promise<void> {
    const text = JSON.stringify(this.takeSnapshot());
    const tmp = join(this.dir, 'meta.json.tmp');
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, 'meta.json'));
    if (this.fh) await this.fh.close();
    this.fh = await open(join(this.dir, 'journal.jsonl'), 'w');
    this.lines = 0;
  }

  /** Queue an entry; resolves once it is written to the journal. */
  append(entry: E): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal closed'));
    this.pending.push(JSON.stringify(entry) + '\n');
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.active) {
      this.active = true;
      this.running = this.run();
    }
    return p;
  }

  /** Write batches until nothing is pending. Never throws; `active` drops in the tick the queue is seen empty. */
  private async run(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.fh!.write(batch.join(''));
        this.lines += batch.length;
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
      if (this.pending.length === 0 && this.lines > this.compactAfter()) {
        try {
          await this.writeSnapshot();
        } catch {
          // keep journaling into the old file; the next compaction retries
        }
      }
    }
    this.active = false;
  }

  /** Flush what is queued, write a final snapshot and close. */
  async close(): Promise<void> {
    if (this.running) await this.running;
    if (this.closed) return;
    this.closed = true;
    await this.writeSnapshot();
    await this.fh?.close();
    this.fh = undefined;
  }
}
