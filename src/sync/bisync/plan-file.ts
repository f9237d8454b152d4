/**
 * The `plan` file: line 1 {"v":1,"plan":true}; the in-order part (keeps {"k":{p,l,r}} and op changes
 * {"o":id,"p":path,"b":{l,r},"a":{l,r}}, strictly increasing paths); the late part (same lines, sorted
 * when sealed; held in memory until then, bounded by the number of late changes); the seal
 * {"sealed":true,"ops":N,"inOrder":I,"late":L,"lateAt":byte}. Everything before the seal is fsynced
 * before the seal is written, so a plan with its seal is whole, and one without it is ignored.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { compareB2Order } from '../march.js';
import { LineReader } from './line-reader.js';
import { decodeSides, encodeSides, encodeRecord, decodeRecordLine } from './state-file.js';
import type { BisyncOp, StateChange, StateRecord } from './types.js';

export const PLAN_HEADER = '{"v":1,"plan":true}\n';
const FLUSH_BYTES = 1 << 18;

export interface PlanSeal {
  ops: number;
  inOrder: number;
  late: number;
  lateAt: number;
  sealAt: number;
}

/** One plan line: a kept record, or one state change of op `op`. */
export type PlanItem = { path: string; keep: StateRecord } | { path: string; op: number; change: StateChange };

export class PlanFileError extends Error {
  constructor(file: string, detail: string) {
    super(
      `bisync plan file ${file}: ${detail}; remove it to drop the interrupted run's record (the next run compares both sides with the last saved state)`,
    );
    this.name = 'PlanFileError';
  }
}

function changeLine(id: number, c: StateChange): string {
  return JSON.stringify({
    o: id,
    p: c.path,
    b: c.before ? encodeSides(c.before) : undefined,
    a: c.after ? encodeSides(c.after) : undefined,
  });
}

export class PlanWriter {
  private chunks: string[] = [];
  private chunkBytes = 0;
  private writes: Promise<void> = Promise.resolve();
  private pos = Buffer.byteLength(PLAN_HEADER);
  private prev: string | undefined;
  private late: { path: string; line: string }[] = [];
  private inOrder = 0;
  private ops = 0;
  private sealed = false;

  private constructor(private readonly fh: FileHandle) {}

  static async create(file: string): Promise<PlanWriter> {
    const fh = await open(file, 'w', 0o600);
    await fh.write(PLAN_HEADER, 0);
    return new PlanWriter(fh);
  }

  keep(rec: StateRecord): Promise<void> | void {
    return this.put(rec.path, encodeRecord(rec).replace(/^\{/, '{"k":1,'), false);
  }

  /** Records op.id and op.changes: a change on op.path of an in-order op goes in order, others late. */
  op(op: BisyncOp, late: boolean): Promise<void> | void {
    if (op.id + 1 > this.ops) this.ops = op.id + 1;
    let p: Promise<void> | void = undefined;
    for (const c of op.changes) {
      const q = this.put(c.path, changeLine(op.id, c), late || c.path !== op.path);
      if (q) p = q;
    }
    return p;
  }

  /** In order when strictly after the last in-order path; anything else goes to the late part. */
  private put(path: string, line: string, late: boolean): Promise<void> | void {
    if (this.sealed) throw new Error('plan: written after seal()');
    if (late || (this.prev !== undefined && compareB2Order(this.prev, path) >= 0)) {
      this.late.push({ path, line });
      return;
    }
    this.prev = path;
    this.inOrder++;
    this.chunks.push(line + '\n');
    this.chunkBytes += line.length + 1;
    if (this.chunkBytes >= FLUSH_BYTES) return this.drain();
  }

  private async drain(): Promise<void> {
    if (this.chunks.length === 0) return;
    const buf = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.chunkBytes = 0;
    // Positions are reserved synchronously, so overlapping drains write disjoint ranges.
    const at = this.pos;
    this.pos += buf.length;
    const w = this.fh.write(buf, 0, buf.length, at).then(() => undefined);
    this.writes = this.writes.then(() => w);
    await w;
  }

  /** Write the sorted late part, fsync, then the seal line and fsync again. */
  async seal(): Promise<void> {
    await this.drain();
    const lateAt = this.pos;
    const late = this.late.sort((a, b) => compareB2Order(a.path, b.path));
    this.late = [];
    for (const l of late) {
      this.chunks.push(l.line + '\n');
      this.chunkBytes += l.line.length + 1;
      if (this.chunkBytes >= FLUSH_BYTES) await this.drain();
    }
    await this.drain();
    await this.writes;
    await this.fh.sync();
    const seal = { sealed: true, ops: this.ops, inOrder: this.inOrder, late: late.length, lateAt };
    await this.fh.write(JSON.stringify(seal) + '\n', this.pos);
    await this.fh.sync();
    await this.fh.close();
    this.sealed = true;
  }

  /** Close without sealing (the plan is then ignored). */
  async abort(): Promise<void> {
    this.sealed = true;
    await this.fh.close().catch(() => undefined);
  }
}

/** The seal of `file`, or undefined when the file is missing or not sealed. */
export async function readPlanSeal(file: string): Promise<PlanSeal | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return undefined;
  }
  const fh = await open(file, 'r');
  try {
    const n = Math.min(size, 4096);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, size - n);
    const text = buf.toString('utf8');
    if (!text.endsWith('\n')) return undefined;
    const line = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1);
    let s: Partial<PlanSeal> & { sealed?: unknown };
    try {
      s = JSON.parse(line) as typeof s;
    } catch {
      return undefined;
    }
    const ints = [s.ops, s.inOrder, s.late, s.lateAt].every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
    if (s.sealed !== true || !ints) return undefined;
    return { ...(s as PlanSeal), sealAt: size - Buffer.byteLength(line) - 1 };
  } finally {
    await fh.close();
  }
}

function decodeItem(line: string): PlanItem {
  const o = JSON.parse(line) as { k?: unknown; o?: unknown; p?: unknown; b?: unknown; a?: unknown };
  if (o.k === 1) {
    const keep = decodeRecordLine(line);
    return { path: keep.path, keep };
  }
  if (typeof o.p !== 'string' || typeof o.o !== 'number' || !Number.isSafeInteger(o.o)) throw new TypeError('bad line');
  const change: StateChange = { path: o.p };
  if (o.b !== undefined) change.before = decodeSides(o.p, o.b);
  if (o.a !== undefined) change.after = decodeSides(o.p, o.a);
  return { path: o.p, op: o.o, change };
}

/** One part of a sealed plan, in batches, checking syntax, order (non-decreasing) and count. */
export async function* readPlanPart(
  file: string,
  part: { start: number; end: number; count: number; name: string },
): AsyncGenerator<PlanItem[]> {
  const reader = new LineReader(file, { start: part.start, end: part.end });
  let prev: string | undefined;
  let n = 0;
  for await (const lines of reader.batches()) {
    const out: PlanItem[] = [];
    for (const line of lines) {
      let it: PlanItem;
      try {
        it = decodeItem(line);
      } catch (err) {
        throw new PlanFileError(file, `${part.name} part, item ${n + 1} is garbled (${(err as Error).message})`);
      }
      if (prev !== undefined && compareB2Order(prev, it.path) > 0)
        throw new PlanFileError(file, `${part.name} part out of order at ${JSON.stringify(it.path)}`);
      prev = it.path;
      n++;
      out.push(it);
    }
    yield out;
  }
  if (reader.tail !== '' || n !== part.count)
    throw new PlanFileError(file, `${part.name} part holds ${n} items, the seal says ${part.count}`);
}
