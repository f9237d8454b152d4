/**
 * The journal of a run: one line per completed operation id, appended and group-committed (fsync at
 * most every FLUSH_MS and on flush/close). Read back into a bitset. A line lost in a crash before
 * its fsync only makes the next run compare that path again (same content settles); a torn last
 * line is ignored.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';

const FLUSH_MS = 100;

export class Journal {
  private pending: number[] = [];
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private failed?: unknown;

  private constructor(private readonly fh: FileHandle) {}

  static async open(file: string): Promise<Journal> {
    return new Journal(await open(file, 'a'));
  }

  done(id: number): void {
    this.pending.push(id);
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
  }

  /** Write and fsync what is pending. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const ids = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      if (ids.length > 0) {
        await this.fh.write(ids.join('\n') + '\n');
        await this.fh.datasync();
      }
    });
    try {
      await this.writing;
    } catch (e) {
      this.failed ??= e;
      throw e;
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.fh.close();
    }
  }
}

/** The completed ids of a journal file, as a bitset over 0..ops-1 (missing file: none). */
export async function readJournal(file: string, ops: number): Promise<Uint8Array> {
  const done = new Uint8Array(Math.ceil(ops / 8));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return done;
    throw e;
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a torn line without its newline
  for (const line of lines) {
    if (!/^\d+$/.test(line)) continue;
    const id = Number(line);
    if (id < ops) done[id >> 3] |= 1 << (id & 7);
  }
  return done;
}

export function isDone(done: Uint8Array, id: number): boolean {
  return (done[id >> 3] & (1 << (id & 7))) !== 0;
}
