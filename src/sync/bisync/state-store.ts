/**
 * PairState: one bisync pair's state dir (<stateDir>/<pairKey>/: pair.json, state, plan, journal, lock).
 * open() takes the lock; recover() folds a crashed run's sealed plan in; records() streams the saved
 * state; beginPlan() / journal() / commit() record a run; discardPlan() drops a plan nothing was done
 * for; release() unlocks. See docs/bisync-state.md.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDurable, syncDir, writeFileAtomic } from './durable-fs.js';
import { JournalWriter, type Journal } from './journal.js';
import { PairLock, isStaleLockTemp } from './lock.js';
import { commitPlan } from './plan-merge.js';
import { PlanWriter, readPlanSeal } from './plan-file.js';
import { pairKey } from './state-dir.js';
import { readStateBatches, readStateHeader } from './state-file.js';
import type { StateRecord } from './types.js';

export { LockHeldError } from './lock.js';
export { PlanWriter } from './plan-file.js';
export type { Journal } from './journal.js';

export interface PairStateOpen {
  stateDir: string;
  localRoot: string;
  bucketId: string;
  bucketName: string;
  prefix: string;
  command: string;
  onNotice?: (msg: string) => void;
}

export class PairState {
  private count: number;
  private first: boolean;
  private jw: JournalWriter | undefined;
  private pw: PlanWriter | undefined;

  private constructor(
    readonly dir: string,
    private readonly lock: PairLock,
    header: { records: number } | undefined,
  ) {
    this.first = header === undefined;
    this.count = header?.records ?? 0;
  }

  /** Takes the lock (throws LockHeldError), writes pair.json the first time, clears stale temp files. */
  static async open(o: PairStateOpen): Promise<PairState> {
    const dir = join(o.stateDir, pairKey(o.localRoot, o.bucketId, o.prefix));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = await PairLock.acquire({ dir, command: o.command, onNotice: o.onNotice });
    try {
      for (const name of await readdir(dir))
        if (/^(state|pair\.json)\.tmp-/.test(name) || isStaleLockTemp(name)) await rm(join(dir, name), { force: true });
      const pairFile = join(dir, 'pair.json');
      const { bucketName, prefix } = o;
      const pair = { local: o.localRoot, remote: `b2://${bucketName}/${prefix}`, bucketId: o.bucketId };
      if (!(await readdir(dir)).includes('pair.json'))
        await writeFileAtomic(pairFile, JSON.stringify({ ...pair, created: new Date().toISOString() }) + '\n');
      return new PairState(dir, lock, await readStateHeader(join(dir, 'state')));
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** No state file yet. */
  get firstRun(): boolean {
    return this.first;
  }
  /** Records in the saved state (its header). */
  get recordCount(): number {
    return this.count;
  }
  get lockFile(): string {
    return this.lock.file;
  }

  private file(name: 'state' | 'plan' | 'journal'): string {
    return join(this.dir, name);
  }

  /** A sealed plan left by a crashed run is committed with its journal; an unsealed one is discarded. */
  async recover(): Promise<{ planned: number; done: number } | undefined> {
    const seal = await readPlanSeal(this.file('plan'));
    if (!seal) {
      await removeDurable(this.dir, this.file('plan'), this.file('journal'));
      return undefined;
    }
    const r = await this.commitSealed();
    return { planned: seal.ops, done: r.done };
  }

  /** The saved state, streamed in sorted batches. */
  records(): AsyncIterable<StateRecord[]> {
    return readStateBatches(this.file('state'));
  }

  /** Start this run's plan (a sealed plan must have been recovered first). */
  async beginPlan(): Promise<PlanWriter> {
    if (await readPlanSeal(this.file('plan')))
      throw new Error('bisync: a sealed plan is pending; call recover() first');
    await removeDurable(this.dir, this.file('journal'), this.file('plan'));
    this.pw = await PlanWriter.create(this.file('plan'));
    await syncDir(this.dir);
    return this.pw;
  }

  /** The journal of completed ops (append). */
  async journal(): Promise<Journal> {
    this.jw ??= await JournalWriter.open(this.file('journal'));
    return this.jw;
  }

  /** The sealed plan + journal → state (atomic); plan and journal removed. */
  async commit(): Promise<{ records: number }> {
    const r = await this.commitSealed();
    return { records: r.records };
  }

  private async commitSealed(): Promise<{ records: number; done: number }> {
    await this.jw?.close();
    this.jw = undefined;
    const seal = await readPlanSeal(this.file('plan'));
    if (!seal) throw new Error('bisync: commit without a sealed plan');
    const r = await commitPlan({
      plan: this.file('plan'),
      journal: this.file('journal'),
      state: this.file('state'),
      seal,
    });
    // The plan goes first: a journal without a plan is ignored, a plan without its journal is not.
    await removeDurable(this.dir, this.file('plan'));
    await removeDurable(this.dir, this.file('journal'));
    this.count = r.records;
    this.first = false;
    return r;
  }

  /** Drop the plan (a safety stop after planning: nothing was done). */
  async discardPlan(): Promise<void> {
    await this.pw?.abort();
    await this.jw?.close();
    this.jw = undefined;
    await removeDurable(this.dir, this.file('plan'), this.file('journal'));
  }

  /** Unlock (idempotent; only our own lock is removed). */
  async release(): Promise<void> {
    await this.jw?.close().catch(() => undefined);
    this.jw = undefined;
    await this.pw?.abort();
    await this.lock.release();
  }

  /** Synchronous unlock for process exit handlers. */
  releaseSync(): void {
    this.lock.releaseSync();
  }
}
