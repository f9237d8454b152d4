/**
 * The `state` file: line 1 a header {"v":1,"records":N,"complete":true} (padded with spaces to a fixed
 * width so it can be rewritten in place once N is known), then one StateRecord per line as compact JSON
 * {"p":path,"l":{s,m,i,h},"r":{s,m,f,h}}, strictly sorted in B2 order. Read as a stream of batches that
 * checks order, syntax and count; written only through a temp file + fsync + rename + fsync of the dir.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { compareB2Order } from '../march.js';
import { syncDir, tempName } from './durable-fs.js';
import { LineReader } from './line-reader.js';
import type { LocalMeta, RemoteMeta, StateRecord } from './types.js';

const HEADER_WIDTH = 80;
const FLUSH_BYTES = 1 << 18;

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`bisync state file ${file}: ${detail}`);
    this.name = 'StateFileError';
  }
}

export interface StateHeader {
  v: 1;
  records: number;
  complete: boolean;
}

/** The two sides of a record in the compact form ({l, r}). */
export function encodeSides(r: StateRecord): { l: object; r: object } {
  const l = r.local;
  const m = r.remote;
  return {
    l: { s: l.size, m: l.mtimeMs, i: l.ino, h: l.sha1 },
    r: { s: m.size, m: m.mtimeMs, f: m.fileId, h: m.sha1 },
  };
}

export function encodeRecord(r: StateRecord): string {
  return JSON.stringify({ p: r.path, ...encodeSides(r) });
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what} is not a number`);
  return v;
}
function optStr(v: unknown, what: string): string | undefined {
  if (v !== undefined && typeof v !== 'string') throw new TypeError(`${what} is not a string`);
  return v as string | undefined;
}

/** Decode {l, r} (as written by encodeSides) for `path`; throws TypeError naming what is wrong. */
export function decodeSides(path: string, o: unknown): StateRecord {
  const x = o as { l?: Record<string, unknown>; r?: Record<string, unknown> };
  if (!x || typeof x !== 'object' || !x.l || typeof x.l !== 'object' || !x.r || typeof x.r !== 'object')
    throw new TypeError('missing l or r');
  const local: LocalMeta = { size: num(x.l.s, 'l.s'), mtimeMs: num(x.l.m, 'l.m') };
  if (x.l.i !== undefined) local.ino = num(x.l.i, 'l.i');
  const lh = optStr(x.l.h, 'l.h');
  if (lh !== undefined) local.sha1 = lh;
  const remote: RemoteMeta = { size: num(x.r.s, 'r.s'), mtimeMs: num(x.r.m, 'r.m') };
  const f = optStr(x.r.f, 'r.f');
  if (f !== undefined) remote.fileId = f;
  const rh = optStr(x.r.h, 'r.h');
  if (rh !== undefined) remote.sha1 = rh;
  return { path, local, remote };
}

export function decodeRecordLine(line: string): StateRecord {
  const o = JSON.parse(line) as { p?: unknown };
  if (!o || typeof o !== 'object' || typeof o.p !== 'string' || o.p === '') throw new TypeError('no path');
  return decodeSides(o.p, o);
}

function parseHeader(file: string, line: string): StateHeader {
  let h: Partial<StateHeader>;
  try {
    h = JSON.parse(line) as Partial<StateHeader>;
  } catch {
    throw new StateFileError(file, 'line 1 is not a state header');
  }
  if (typeof h.v === 'number' && h.v > 1) throw new StateFileError(file, `written by a newer b2sync (format v${h.v})`);
  if (h.v !== 1 || h.complete !== true || typeof h.records !== 'number' || !Number.isSafeInteger(h.records))
    throw new StateFileError(file, 'header is incomplete or garbled');
  return h as StateHeader;
}

/** The header, or undefined when the file does not exist. */
export async function readStateHeader(file: string): Promise<StateHeader | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl < 0) throw new StateFileError(file, 'no header line');
    return parseHeader(file, text.slice(0, nl));
  } finally {
    await fh.close();
  }
}

/** The records in batches, checking strict B2 order, syntax and the header's count (a missing file yields nothing). */
export async function* readStateBatches(file: string, batchSize = 2048): AsyncGenerator<StateRecord[]> {
  if ((await readStateHeader(file)) === undefined) return;
  const reader = new LineReader(file);
  let header: StateHeader | undefined;
  let prev: string | undefined;
  let count = 0;
  let out: StateRecord[] = [];
  for await (const lines of reader.batches()) {
    const base = reader.lineNo - lines.length;
    for (let k = 0; k < lines.length; k++) {
      if (header === undefined) {
        header = parseHeader(file, lines[k]);
        continue;
      }
      let rec: StateRecord;
      try {
        rec = decodeRecordLine(lines[k]);
      } catch (err) {
        throw new StateFileError(file, `line ${base + k + 1} is garbled (${(err as Error).message})`);
      }
      if (prev !== undefined && compareB2Order(prev, rec.path) >= 0)
        throw new StateFileError(
          file,
          `out of order at line ${base + k + 1}: ${JSON.stringify(prev)} before ${JSON.stringify(rec.path)}`,
        );
      prev = rec.path;
      count++;
      out.push(rec);
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
  }
  if (reader.tail !== '') throw new StateFileError(file, `last line is not terminated (garbled)`);
  if (header === undefined) throw new StateFileError(file, 'empty');
  if (count !== header.records)
    throw new StateFileError(file, `holds ${count} records, its header says ${header.records} (truncated?)`);
  if (out.length > 0) yield out;
}

function headerLine(h: object): string {
  const s = JSON.stringify(h);
  return s + ' '.repeat(Math.max(0, HEADER_WIDTH - 1 - Buffer.byteLength(s))) + '\n';
}

/** Writes a new state file atomically; records must come in strictly increasing B2 order (asserted). */
export class StateFileWriter {
  private chunks: string[] = [];
  private chunkBytes = 0;
  private writes: Promise<void> = Promise.resolve();
  private pos = HEADER_WIDTH;
  private prev: string | undefined;
  count = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly tmp: string,
    readonly target: string,
  ) {}

  static async create(target: string): Promise<StateFileWriter> {
    const tmp = tempName(target);
    const fh = await open(tmp, 'wx', 0o600);
    await fh.write(headerLine({ v: 1, complete: false }), 0);
    return new StateFileWriter(fh, tmp, target);
  }

  /** Adds a record; returns a promise only when buffered lines are being written out. */
  add(rec: StateRecord): Promise<void> | undefined {
    if (this.prev !== undefined && compareB2Order(this.prev, rec.path) >= 0)
      throw new Error(`state writer: ${JSON.stringify(rec.path)} after ${JSON.stringify(this.prev)} (not sorted)`);
    this.prev = rec.path;
    this.count++;
    const line = encodeRecord(rec) + '\n';
    this.chunks.push(line);
    this.chunkBytes += line.length;
    return this.chunkBytes >= FLUSH_BYTES ? this.drain() : undefined;
  }

  private async drain(): Promise<void> {
    if (this.chunks.length === 0) return;
    const data = this.chunks.join('');
    this.chunks = [];
    this.chunkBytes = 0;
    const buf = Buffer.from(data, 'utf8');
    // Positions are reserved synchronously, so overlapping drains write disjoint ranges.
    const at = this.pos;
    this.pos += buf.length;
    const w = this.fh.write(buf, 0, buf.length, at).then(() => undefined);
    this.writes = this.writes.then(() => w);
    await w;
  }

  /** Header, fsync, rename over the target, fsync of the dir. Returns the record count. */
  async finish(): Promise<number> {
    try {
      await this.drain();
      await this.writes;
      await this.fh.write(headerLine({ v: 1, records: this.count, complete: true }), 0);
      await this.fh.sync();
    } catch (err) {
      await this.abort();
      throw err;
    }
    await this.fh.close();
    await rename(this.tmp, this.target);
    await syncDir(dirname(this.target));
    return this.count;
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}
