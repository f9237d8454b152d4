/**
 * The `journal`: one "done <op id>" line per completed operation, appended and group-committed
 * (write + fsync at most every ~100 ms, and on flush/close). Read back defensively into a bitset:
 * only complete ('\n'-terminated) lines of the exact form count, so a torn last line is ignored and
 * can never read as a wrong id.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { LineReader } from './line-reader.js';

export interface Journal {
  done(opId: number): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class Bitset {
  private readonly bits: Uint8Array;
  count = 0;
  constructor(readonly size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }
  set(i: number): void {
    if (i < 0 || i >= this.size || this.has(i)) return;
    this.bits[i >> 3] |= 1 << (i & 7);
    this.count++;
  }
  has(i: number): boolean {
    return i >= 0 && i < this.size && (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }
}

export class JournalWriter implements Journal {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private lastSync = 0;
  private error: unknown;
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    private readonly intervalMs: number,
  ) {}

  static async open(file: string, intervalMs = 100): Promise<JournalWriter> {
    return new JournalWriter(await open(file, 'a', 0o600), intervalMs);
  }

  done(opId: number): void {
    if (this.closed) throw new Error('journal: done() after close()');
    if (!Number.isSafeInteger(opId) || opId < 0) throw new Error(`journal: bad op id ${opId}`);
    this.pending.push(`done ${opId}\n`);
    if (this.timer === undefined) {
      const wait = Math.max(0, this.lastSync + this.intervalMs - Date.now());
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.writeOut();
      }, wait);
    }
  }

  private writeOut(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.pending.length === 0) return;
      const data = this.pending.join('');
      this.pending = [];
      this.lastSync = Date.now();
      try {
        await this.fh.write(data);
        await this.fh.sync();
      } catch (err) {
        this.error ??= err;
      }
    });
    return this.chain;
  }

  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writeOut();
    if (this.error !== undefined) throw this.error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
  }
}

const DONE_LINE = /^done (0|[1-9][0-9]{0,14})$/;

/** The ids marked done (only ids below `ops`); a missing journal is empty. */
export async function readJournal(file: string, ops: number): Promise<Bitset> {
  const set = new Bitset(ops);
  const reader = new LineReader(file);
  try {
    for await (const lines of reader.batches())
      for (const line of lines) {
        const m = DONE_LINE.exec(line);
        if (m) set.set(Number(m[1]));
      }
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  return set;
}
