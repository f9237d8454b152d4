/**
 * One 1-GiB-style download for bench/http-download-cpu.ts, in its own process so its CPU is its own.
 * argv[2]: JSON {url, path, mode: "lean-get"|"request"|"dispatch"}. Gathers the body into 1 MiB
 * batches written with FileHandle.writev and SHA-1-hashed after each write (as src/transfer's
 * page-cache pump does), then prints JSON {bytes, sha1, cpuMs, ms}: user+sys CPU of the whole process
 * (all threads) from the request to the last write, start-up excluded.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { ConnectionBudget } from '../src/client/http/connection-budget.js';
import { LeanGet } from '../src/client/http/lean-get.js';
import { undici } from '../src/client/undici-lite.js';

const a = JSON.parse(process.argv[2]) as { url: string; path: string; mode: 'lean-get' | 'request' | 'dispatch' };
const BATCH = 1024 * 1024;

/**
 * What a download does per chunk: gather, write a batch (one in flight while the next gathers), hash
 * it once written, give pooled chunks back. push() returns a promise only when the caller must wait
 * (a write in flight and a full batch gathered), so a reader that is not behind never pauses.
 */
class Sink {
  private batch: Buffer[] = [];
  private bytes = 0;
  private writing: Promise<void> | undefined;
  private pos = 0;
  readonly hash = createHash('sha1');
  total = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly recycle?: (b: Buffer) => void,
  ) {}
  push(chunk: Buffer): Promise<void> | undefined {
    this.batch.push(chunk);
    this.bytes += chunk.length;
    this.total += chunk.length;
    if (this.bytes < BATCH) return undefined;
    if (!this.writing) {
      this.start();
      return undefined;
    }
    return this.writing.then(() => this.start());
  }
  private start(): void {
    if (this.bytes === 0) return;
    const bufs = this.batch;
    const n = this.bytes;
    this.batch = [];
    this.bytes = 0;
    const at = this.pos;
    this.pos += n;
    this.writing = (async () => {
      await this.fh.writev(bufs, at);
      for (const b of bufs) this.hash.update(b);
      if (this.recycle) for (const b of bufs) this.recycle(b);
      this.writing = undefined;
    })();
  }
  async end(): Promise<void> {
    await this.writing;
    this.start();
    await this.writing;
  }
}

async function viaIterable(body: AsyncIterable<Buffer>, sink: Sink): Promise<void> {
  for await (const chunk of body) {
    const p = sink.push(chunk);
    if (p) await p;
  }
}

/** The prototype: a dispatch handler whose onResponseData hands each chunk to the sink directly. */
function viaDispatch(agent: import('undici').Dispatcher, url: string, sink: Sink): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let controller: { pause(): void; resume(): void; abort(e: Error): void } | undefined;
    agent.dispatch({ origin: u.origin, path: `${u.pathname}${u.search}`, method: 'GET', headers: {} }, {
      onRequestStart(c: typeof controller) {
        controller = c;
      },
      onResponseStart(_c: unknown, status: number) {
        if (status !== 200) reject(new Error(`status ${status}`));
      },
      onResponseData(c: NonNullable<typeof controller>, chunk: Buffer) {
        const p = sink.push(chunk);
        if (p) {
          c.pause();
          p.then(
            () => c.resume(),
            (e: Error) => c.abort(e),
          );
        }
      },
      onResponseEnd() {
        resolve();
      },
      onResponseError(_c: unknown, err: Error) {
        reject(err);
      },
    } as unknown as import('undici').Dispatcher.DispatchHandler);
    void controller;
  });
}

const fh = await open(a.path, 'w');
const t0 = performance.now();
const c0 = process.cpuUsage();
let sink: Sink;
if (a.mode === 'lean-get') {
  const rg = new LeanGet({ budget: new ConnectionBudget(4) });
  const res = await rg.get(a.url, {});
  sink = new Sink(fh, (b) => res.body.recycle(b));
  await viaIterable(res.body as AsyncIterable<Buffer>, sink);
  rg.close();
} else {
  const agent = new undici.Agent({ connections: 4, pipelining: 1 });
  sink = new Sink(fh);
  if (a.mode === 'request') {
    const res = await undici.request(a.url, { dispatcher: agent, method: 'GET' });
    await viaIterable(res.body as AsyncIterable<Buffer>, sink);
  } else {
    await viaDispatch(agent, a.url, sink);
  }
  await agent.close();
}
await sink.end();
const c = process.cpuUsage(c0);
const ms = performance.now() - t0;
await fh.close();
process.stdout.write(
  JSON.stringify({ bytes: sink.total, sha1: sink.hash.digest('hex'), cpuMs: (c.user + c.system) / 1000, ms }) + '\n',
);
