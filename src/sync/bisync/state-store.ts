/**
 * A pair's state folder (docs/bisync.md, "The state and lock files"): `state` (the saved records),
 * `plan` + `plan.late` + `plan.sealed` (what this run will change, written before any change),
 * `journal` (operations completed) and `lock`. commit() folds plan and journal into a new state
 * atomically; recover() does the same for a run that crashed after sealing its plan.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { compareB2Order } from '../march.js';
import { isDone, Journal, readJournal } from './journal.js';
import { PairLock } from './lock.js';
import { decodeRecord, encodeRecord, readHeader, readRecords, stateLines, writeAtomically } from './state-file.js';
import type { BisyncOp, StateChange, StateRecord } from './types.js';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, 'b2sync') : join(homedir(), '.local', 'state', 'b2sync');
}

export function pairKey(localRoot: string, bucketId: string, prefix: string): string {
  return createHash('sha1').update(`${localRoot}\0${bucketId}\0${prefix}`).digest('hex').slice(0, 20);
}

export interface PairStateInit {
  stateDir: string;
  localRoot: string;
  bucketId: string;
  bucketName: string;
  prefix: string;
  command: string;
  onNotice?: (message: string) => void;
}

/** A plan line: a kept record, or one change of an operation. */
type PlanLine = { k: string } | { o: number; c: string };
interface LateChange {
  id: number;
  change: StateChange;
}

function encodeChange(c: StateChange): string {
  return JSON.stringify({
    p: c.path,
    b: c.before ? encodeRecord(c.before) : undefined,
    a: c.after ? encodeRecord(c.after) : undefined,
  });
}
function decodeChange(text: string): StateChange {
  const o = JSON.parse(text) as { p: string; b?: string; a?: string };
  return {
    path: o.p,
    before: o.b ? decodeRecord(o.b, 'plan') : undefined,
    after: o.a ? decodeRecord(o.a, 'plan') : undefined,
  };
}

/** Writes the plan: keeps and in-order changes as they come, the rest sorted when sealed. */
export class PlanWriter {
  private readonly late: LateChange[] = [];
  private buf: string[] = [];
  ops = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly dir: string,
  ) {}

  async keep(rec: StateRecord): Promise<void> {
    this.buf.push(JSON.stringify({ k: encodeRecord(rec) }));
    if (this.buf.length >= 4096) await this.spill();
  }

  async op(op: BisyncOp, late: boolean): Promise<void> {
    this.ops = Math.max(this.ops, op.id + 1);
    for (const change of op.changes) {
      if (late || change.path !== op.path) this.late.push({ id: op.id, change });
      else this.buf.push(JSON.stringify({ o: op.id, c: encodeChange(change) }));
    }
    if (this.buf.length >= 4096) await this.spill();
  }

  private async spill(): Promise<void> {
    if (this.buf.length === 0) return;
    await this.fh.write(this.buf.join('\n') + '\n');
    this.buf = [];
  }

  /** Everything on disk and fsynced, then the seal: from here on the run may change things. */
  async seal(): Promise<void> {
    await this.spill();
    await this.fh.sync();
    await this.fh.close();
    this.late.sort((a, b) => compareB2Order(a.change.path, b.change.path));
    const lines = this.late.map((l) => JSON.stringify({ o: l.id, c: encodeChange(l.change) }));
    await writeFile(join(this.dir, 'plan.late'), lines.length ? lines.join('\n') + '\n' : '', { flush: true });
    await writeFile(join(this.dir, 'plan.sealed'), JSON.stringify({ ops: this.ops }) + '\n', { flush: true });
  }
}

type Resolved = { path: string; rec?: StateRecord };

async function* planItems(file: string, done: Uint8Array): AsyncGenerator<Resolved> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '') continue;
    const o = JSON.parse(line) as PlanLine;
    if ('k' in o) {
      const rec = decodeRecord(o.k, 'plan');
      yield { path: rec.path, rec };
    } else {
      const c = decodeChange(o.c);
      yield { path: c.path, rec: isDone(done, o.o) ? c.after : c.before };
    }
  }
}

/** Merge two sorted resolved streams into the new state's records (the later one wins on a tie). */
async function* merged(a: AsyncIterable<Resolved>, b: AsyncIterable<Resolved>): AsyncGenerator<StateRecord> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let x = await ia.next();
  let y = await ib.next();
  while (!x.done || !y.done) {
    let pick: Resolved;
    const c = x.done ? 1 : y.done ? -1 : compareB2Order(x.value.path, y.value.path);
    if (c < 0) {
      pick = x.value;
      x = await ia.next();
    } else {
      if (c === 0) x = await ia.next();
      pick = y.value;
      y = await ib.next();
    }
    if (pick.rec) yield { ...pick.rec, path: pick.path };
  }
}

export class PairState {
  firstRun = true;
  recordCount = 0;
  private readonly lock: PairLock;

  private constructor(
    readonly dir: string,
    command: string,
  ) {
    this.lock = new PairLock(join(dir, 'lock'), command);
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  static async open(o: PairStateInit): Promise<PairState> {
    const dir = join(o.stateDir, pairKey(o.localRoot, o.bucketId, o.prefix));
    await mkdir(dir, { recursive: true });
    const st = new PairState(dir, o.command);
    await st.lock.acquire(o.onNotice);
    try {
      const pair = { local: o.localRoot, remote: `b2://${o.bucketName}/${o.prefix}`, bucketId: o.bucketId };
      await writeFile(st.file('pair.json'), JSON.stringify(pair, null, 2) + '\n');
      await st.readCount();
    } catch (e) {
      await st.release();
      throw e;
    }
    return st;
  }

  private async readCount(): Promise<void> {
    const h = await readHeader(this.file('state'));
    this.firstRun = h === undefined;
    this.recordCount = h?.records ?? 0;
  }

  /** A run that crashed after sealing its plan: fold what it did into the state. */
  async recover(): Promise<{ planned: number; done: number } | undefined> {
    const sealed = await readFile(this.file('plan.sealed'), 'utf8').catch(() => undefined);
    if (sealed === undefined) {
      await this.discardPlan();
      return undefined;
    }
    return this.commit();
  }

  records(): AsyncIterable<StateRecord[]> {
    return readRecords(this.file('state'));
  }

  async beginPlan(): Promise<PlanWriter> {
    await this.discardPlan();
    return new PlanWriter(await open(this.file('plan'), 'w'), this.dir);
  }

  async journal(): Promise<Journal> {
    return Journal.open(this.file('journal'));
  }

  /** plan + journal → state, atomically; then the plan files and journal are removed. */
  async commit(): Promise<{ planned: number; done: number }> {
    const { ops } = JSON.parse(await readFile(this.file('plan.sealed'), 'utf8')) as { ops: number };
    const done = await readJournal(this.file('journal'), ops);
    let doneCount = 0;
    for (let i = 0; i < ops; i++) if (isDone(done, i)) doneCount++;
    await writeAtomically(
      this.file('state'),
      stateLines(merged(planItems(this.file('plan'), done), planItems(this.file('plan.late'), done))),
    );
    await this.discardPlan();
    await this.readCount();
    return { planned: ops, done: doneCount };
  }

  /** Remove plan files and journal (the seal first, so a crash midway leaves no sealed plan). */
  async discardPlan(): Promise<void> {
    for (const f of ['plan.sealed', 'plan.late', 'plan', 'journal']) await rm(this.file(f), { force: true });
  }

  async release(): Promise<void> {
    await this.lock.release();
  }
}
