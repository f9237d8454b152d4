/**
 * Holds the actionable part of a plan (transfers and deletions; skips are only counted) between
 * planning and execution. Up to `memoryLimit` items stay in memory; beyond that everything goes to a
 * JSON-lines file in a temporary directory, so memory stays flat for any number of changes.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PlanItem } from './compare.js';

/** T: sync's PlanItem by default; bisync spools its BisyncOps the same way. */
export class PlanSpool<T = PlanItem> {
  private readonly mem: T[] = [];
  private out?: WriteStream;
  private dir?: string;
  private file?: string;
  count = 0;

  constructor(private readonly memoryLimit = 5000) {}

  async push(item: T): Promise<void> {
    this.count++;
    if (!this.out && this.mem.length < this.memoryLimit) {
      this.mem.push(item);
      return;
    }
    if (!this.out) {
      this.dir = await mkdtemp(join(tmpdir(), 'b2sync-plan-'));
      this.file = join(this.dir, 'plan.jsonl');
      this.out = createWriteStream(this.file);
      for (const m of this.mem.splice(0)) this.out.write(JSON.stringify(m) + '\n');
    }
    if (!this.out.write(JSON.stringify(item) + '\n'))
      await new Promise<void>((r) => this.out!.once('drain', () => r()));
  }

  /** Stop writing; must be called before reading. */
  async seal(): Promise<void> {
    const out = this.out;
    if (out && !out.closed) await new Promise<void>((r) => out.end(() => r()));
  }

  /** Every item in plan order (may be called more than once). */
  async *items(): AsyncGenerator<T> {
    if (!this.file) {
      yield* this.mem;
      return;
    }
    const rl = createInterface({ input: createReadStream(this.file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) if (line) yield JSON.parse(line) as T;
  }

  async dispose(): Promise<void> {
    await this.seal();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
