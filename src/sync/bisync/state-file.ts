/**
 * The saved state's file format: line 1 a header ({"v":1}), then one StateRecord per line in compact
 * form ({"p":path,"l":{s,m,i,h},"r":{s,m,f,h}}) sorted by path in B2 order, then a trailer
 * ({"end":true,"records":N}: a file without it is damaged). Read as a
 * stream of batches (order checked); written through temp + fsync + rename + folder fsync, so a crash
 * leaves the old file or the new one, never a torn one.
 */
import { createReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { compareB2Order } from '../march.js';
import type { LocalMeta, RemoteMeta, StateRecord } from './types.js';

const BATCH = 1000;

interface Line {
  p: string;
  l: { s: number; m: number; i?: number; h?: string };
  r: { s: number; m: number; f?: string; h?: string };
}

export function encodeRecord(rec: StateRecord): string {
  const l: Line['l'] = { s: rec.local.size, m: rec.local.mtimeMs };
  if (rec.local.ino !== undefined) l.i = rec.local.ino;
  if (rec.local.sha1 !== undefined) l.h = rec.local.sha1;
  const r: Line['r'] = { s: rec.remote.size, m: rec.remote.mtimeMs };
  if (rec.remote.fileId !== undefined) r.f = rec.remote.fileId;
  if (rec.remote.sha1 !== undefined) r.h = rec.remote.sha1;
  return JSON.stringify({ p: rec.path, l, r });
}

export function decodeRecord(text: string, where: string): StateRecord {
  const o = JSON.parse(text) as Line;
  if (typeof o?.p !== 'string' || typeof o.l?.s !== 'number' || typeof o.r?.s !== 'number')
    throw new Error(`${where}: not a state record`);
  const local: LocalMeta = { size: o.l.s, mtimeMs: o.l.m };
  if (o.l.i !== undefined) local.ino = o.l.i;
  if (o.l.h !== undefined) local.sha1 = o.l.h;
  const remote: RemoteMeta = { size: o.r.s, mtimeMs: o.r.m };
  if (o.r.f !== undefined) remote.fileId = o.r.f;
  if (o.r.h !== undefined) remote.sha1 = o.r.h;
  return { path: o.p, local, remote };
}

export class StateFileError extends Error {
  constructor(file: string, why: string) {
    super(
      `bisync state ${file} is damaged (${why}); move it away to start again with a merge (nothing is deleted by a merge)`,
    );
    this.name = 'StateFileError';
  }
}

/** The trailer's record count, or undefined when the file does not exist. */
export async function readHeader(file: string): Promise<{ records: number } | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 256);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    const t = JSON.parse(lines[lines.length - 1] ?? '') as { end?: boolean; records?: number };
    if (t.end !== true || typeof t.records !== 'number') throw new Error('no trailer');
    return { records: t.records };
  } catch (e) {
    throw new StateFileError(file, e instanceof Error ? e.message : String(e));
  } finally {
    await fh.close();
  }
}

/** The lines of a state file holding these records (header, records, trailer). */
export async function* stateLines(records: AsyncIterable<StateRecord>): AsyncGenerator<string> {
  yield JSON.stringify({ v: 1 });
  let n = 0;
  for await (const r of records) {
    n++;
    yield encodeRecord(r);
  }
  yield JSON.stringify({ end: true, records: n });
}

/** Every record, in batches, order checked; nothing when the file does not exist. */
export async function* readRecords(file: string): AsyncGenerator<StateRecord[]> {
  if ((await readHeader(file)) === undefined) return;
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  let last: string | undefined;
  let batch: StateRecord[] = [];
  for await (const line of rl) {
    if (n++ === 0 || line === '' || line.startsWith('{"end":')) continue;
    let rec: StateRecord;
    try {
      rec = decodeRecord(line, `line ${n}`);
    } catch (e) {
      throw new StateFileError(file, e instanceof Error ? e.message : String(e));
    }
    if (last !== undefined && compareB2Order(last, rec.path) >= 0)
      throw new StateFileError(file, `line ${n} out of order`);
    last = rec.path;
    batch.push(rec);
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Write lines to `file` atomically: a temp file beside it, fsync, rename over, fsync the folder. */
export async function writeAtomically(file: string, lines: AsyncIterable<string>): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    let buf: string[] = [];
    let size = 0;
    for await (const line of lines) {
      buf.push(line);
      size += line.length;
      if (size > 1 << 20) {
        await fh.write(buf.join('\n') + '\n');
        buf = [];
        size = 0;
      }
    }
    if (buf.length > 0) await fh.write(buf.join('\n') + '\n');
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  await syncDir(dirname(file));
}

export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    await d.close();
  }
}
