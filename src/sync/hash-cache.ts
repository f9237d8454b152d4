/**
 * Local SHA-1s for --checksum, with an optional cache between runs.
 *
 * The cache is one JSON-lines file per local root (named by the SHA-1 of the root's absolute path)
 * in hashCacheDir. Lines are sorted by path, because they are written in march order; lookups also come
 * in march order, so the old file is read as a stream alongside the walk and the new one is written as
 * a stream: memory stays constant whatever the tree size. An entry is valid only when path, size, mtime
 * and inode all match. The new file holds only the entries used in this run, so stale ones drop out.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { compareUtf8 } from '../wire/names.js';
import type { Entry } from './types.js';

interface CacheLine {
  p: string;
  s: number;
  m: number;
  i: number;
  h: string;
}

/** Stream a file through SHA-1. */
export async function sha1File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha1');
  const rs = createReadStream(path, { signal, highWaterMark: 1 << 20 });
  for await (const chunk of rs) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class LocalHasher {
  /** Files actually read (cache misses). */
  hashed = 0;
  /** Cache hits. */
  hits = 0;
  private reader?: AsyncIterator<string>;
  private current?: CacheLine;
  private readerDone = false;
  private chain: Promise<unknown> = Promise.resolve();
  private out?: WriteStream;
  private readonly file?: string;
  private readonly tmp?: string;
  private lastWritten?: string;

  constructor(
    root: string,
    cacheDir: string | undefined,
    private readonly signal?: AbortSignal,
  ) {
    if (cacheDir) {
      const name = createHash('sha1').update(resolve(root)).digest('hex') + '.jsonl';
      this.file = join(cacheDir, name);
      this.tmp = this.file + `.${process.pid}.tmp`;
    }
  }

  async open(): Promise<void> {
    if (!this.file || !this.tmp) return;
    await mkdir(join(this.file, '..'), { recursive: true });
    const rs = createReadStream(this.file, { encoding: 'utf8' });
    const ready = await new Promise<boolean>((res) => {
      rs.once('open', () => res(true));
      rs.once('error', () => res(false));
    });
    if (ready) this.reader = createInterface({ input: rs, crlfDelay: Infinity })[Symbol.asyncIterator]();
    else this.readerDone = true;
    this.out = createWriteStream(this.tmp);
  }

  /** The SHA-1 of a local entry: from the cache when path, size, mtime and inode match, else by reading it. */
  sha1(e: Entry): Promise<string> {
    const cached = this.lookup(e);
    return cached.then(async (h) => {
      if (h) {
        this.hits++;
        return h;
      }
      const hex = await sha1File(e.localPath!, this.signal);
      this.hashed++;
      return hex;
    });
  }

  /** Record a hash for the new cache file. Call in march order. */
  record(e: Entry, sha1: string): void {
    if (!this.out || e.ino === undefined) return;
    if (this.lastWritten !== undefined && compareUtf8(this.lastWritten, e.path) >= 0) return;
    this.lastWritten = e.path;
    const line: CacheLine = { p: e.path, s: e.size, m: e.mtimeMs, i: e.ino, h: sha1 };
    this.out.write(JSON.stringify(line) + '\n');
  }

  private lookup(e: Entry): Promise<string | undefined> {
    if (!this.reader && !this.current) return Promise.resolve(undefined);
    const p = this.chain.then(async () => {
      while (true) {
        if (!this.current) {
          if (this.readerDone || !this.reader) return undefined;
          const r = await this.reader.next();
          if (r.done) {
            this.readerDone = true;
            return undefined;
          }
          try {
            this.current = JSON.parse(r.value) as CacheLine;
          } catch {
            continue;
          }
        }
        const c = compareUtf8(this.current.p, e.path);
        if (c < 0) {
          this.current = undefined;
          continue;
        }
        if (c > 0) return undefined;
        const hit = this.current;
        this.current = undefined;
        return hit.s === e.size && hit.m === e.mtimeMs && hit.i === e.ino ? hit.h : undefined;
      }
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Finish: replace the cache file with the new one (complete=false keeps the old file). */
  async close(complete: boolean): Promise<void> {
    if (this.reader) await this.reader.return?.();
    if (!this.out || !this.file || !this.tmp) return;
    const out = this.out;
    await new Promise<void>((res) => out.end(() => res()));
    if (complete) await rename(this.tmp, this.file).catch(() => undefined);
    else await rm(this.tmp, { force: true });
  }
}
