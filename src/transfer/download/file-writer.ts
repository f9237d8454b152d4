/**
 * Writes into a download's temp file, one at a time, through the page cache or (opt-in,
 * tuning.directIo) past it with O_DIRECT; aligned stage buffers for the O_DIRECT pump.
 */
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Bytes gathered into one write. */
export const WRITE_BATCH = 1024 * 1024;
/** O_DIRECT writes and reads need file offsets, lengths and memory aligned to the device's blocks. */
export const ALIGN = 4096;
/** An aligned stage (pumpAligned): a write batch and a block of slack for an unaligned start. */
const STAGE = WRITE_BATCH + ALIGN;
const O_DIRECT = (fsConstants as { O_DIRECT?: number }).O_DIRECT;

/**
 * Page-aligned memory: WebAssembly memory starts on a page boundary (a Buffer from the allocator
 * only on a 16-byte one, which O_DIRECT refuses with EINVAL).
 */
function alignedBuffer(bytes: number): Buffer {
  const pages = Math.ceil(bytes / 65536);
  return Buffer.from(new Wasm.Memory({ initial: pages, maximum: pages }).buffer, 0, bytes);
}
/** (WebAssembly is a global of Node; this project's TypeScript libs do not declare it.) */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/**
 * Writes into the temp file, one at a time (parallel streams writing one file at once contend for its
 * inode lock: the kernel spins on it; see docs/performance.md, "Worker hashing, O_DIRECT for big downloads").
 *
 * Opt-in (tuning.directIo): a second descriptor opened with O_DIRECT, through which aligned batches
 * go past the page cache. It helps where copying into the page cache is what costs (a VM whose balloon
 * device faults every fresh guest page; measured in docs/performance.md), and costs elsewhere (direct
 * writes wait for the device), so it is off by default. Unaligned heads and tails go through the page
 * cache. A file system that refuses O_DIRECT (tmpfs at open, others at the first write) gets page-cache
 * writes.
 */
export class FileWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly stages: Buffer[] = [];
  private constructor(
    readonly fh: FileHandle,
    private direct: FileHandle | undefined,
  ) {}

  /** `direct`: aligned batches go out with O_DIRECT where the OS and file system allow it. */
  static async open(fh: FileHandle, path: string, direct: boolean): Promise<FileWriter> {
    return new FileWriter(fh, direct ? await openDirect(path) : undefined);
  }

  get directIo(): boolean {
    return this.direct !== undefined;
  }

  /** Write `bufs` (`bytes` in all) at `pos` through the page cache, after every write asked for before. */
  write(bufs: Buffer[], bytes: number, pos: number): Promise<void> {
    return this.queue(() => writeFully(this.fh, bufs, bytes, pos));
  }

  /** Write `buf` (aligned in memory, length and `pos` multiples of ALIGN) past the page cache where allowed. */
  writeAligned(buf: Buffer, pos: number): Promise<void> {
    return this.queue(async () => {
      if (this.direct) {
        try {
          let done = 0;
          while (done < buf.length)
            done += (await this.direct.write(buf, done, buf.length - done, pos + done)).bytesWritten;
          return;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EINVAL') throw err;
          await this.dropDirect(); // refused after all: the page cache from now on
        }
      }
      await writeFully(this.fh, [buf], buf.length, pos);
    });
  }

  private queue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Two aligned stages for one stream (pumpAligned), from a small pool. */
  takeStages(): [Buffer, Buffer] {
    return [this.stages.pop() ?? alignedBuffer(STAGE), this.stages.pop() ?? alignedBuffer(STAGE)];
  }

  giveStages(stages: Buffer[]): void {
    this.stages.push(...stages);
  }

  private async dropDirect(): Promise<void> {
    const d = this.direct;
    this.direct = undefined;
    await d?.close().catch(() => undefined);
  }

  /** Close the O_DIRECT descriptor (the page-cache one is the caller's). */
  async close(): Promise<void> {
    await this.tail;
    await this.dropDirect();
  }
}

async function openDirect(path: string): Promise<FileHandle | undefined> {
  if (O_DIRECT === undefined) return undefined;
  return open(path, fsConstants.O_WRONLY | O_DIRECT).catch(() => undefined);
}

async function writeFully(fh: FileHandle, bufs: Buffer[], bytes: number, pos: number): Promise<void> {
  let done = (await fh.writev(bufs, pos)).bytesWritten;
  if (done < bytes) {
    const all = Buffer.concat(bufs, bytes);
    while (done < bytes) done += (await fh.write(all, done, bytes - done, pos + done)).bytesWritten;
  }
}
