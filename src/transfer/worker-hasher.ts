/**
 * SHA-1 of a file being written, in file order, on a worker thread (the same contract as
 * PrefixHasher, which does it on the calling thread).
 *
 * Why: in a big download the main thread is the critical path (socket reads, copies into body
 * chunks, write calls) and SHA-1 was about a third of its CPU; on a worker it runs on the other core
 * while the next bytes arrive. What the worker gets:
 * - bytes written at the offset the hash has got to are copied into a shared ring (4 MiB) and
 *   handed over by offset and length: one copy on this thread, no allocation per batch; the worker
 *   counts what it has hashed in shared memory, so the ring's free space needs no reply message;
 * - bytes written further on (other streams' pieces, a resumed download's kept prefix) and batches
 *   that found the ring full are read back by the worker from the file once it is complete up to them
 *   (the file descriptor is shared by the threads of a process).
 * Only the digest comes back as a message. A worker costs memory and start-up time (docs/performance.md), so
 * downloads use it from bigDownloadCutoff bytes up (64 MiB by default; download.ts). When the file is
 * written with O_DIRECT (download.ts, FileWriter), the worker reads back with O_DIRECT too, into
 * page-aligned memory, so the page cache is not filled by the read-back either (block-aligned reads
 * only; anything else, or a refusal, goes through the shared descriptor).
 */
import { Worker } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import type { HashWorkerData, HashWorkerReply } from './hash-worker.js';

const RING = 4 * 1024 * 1024;

/**
 * The worker is a compiled module: hash-worker.js beside this file in dist/ (and beside a bench bundle,
 * which builds it there). When this module runs as TypeScript (the tests, through tsx), the built
 * dist/transfer/hash-worker.js is used: a worker started from a .ts entry does not get tsx's loader on
 * Node 20, and the worker needs nothing but node builtins. `npm run build` makes it.
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/transfer/hash-worker.js', import.meta.url)
  : new URL('./hash-worker.js', import.meta.url);

export class WorkerHasher {
  private readonly worker: Worker;
  private readonly ring: SharedArrayBuffer;
  private readonly ringBytes: Buffer;
  /** Bytes the worker has hashed out of the ring (total, modulo 2^32; RING divides 2^32). */
  private readonly freed = new Int32Array(new SharedArrayBuffer(4));
  /** Bytes put into the ring (total, modulo 2^32); the next go at ringed % RING. */
  private ringed = 0;
  /** Bytes [0, queued) are handed to the worker (from the ring or to read back). */
  private queued = 0;
  private stopped = false;
  private exited: Promise<void>;
  private failure: Error | undefined;

  /** `ringSize`: a power of two (so it divides the 2^32 the counters wrap at); smaller only in tests. */
  /** `directPath`: the file's path when it is written with O_DIRECT: it is then read back with O_DIRECT too. */
  constructor(
    fh: FileHandle,
    private readonly total: number,
    private readonly ringSize = RING,
    directPath?: string,
  ) {
    if (!(ringSize > 0 && (ringSize & (ringSize - 1)) === 0 && ringSize <= 2 ** 30))
      throw new RangeError(`ring size ${ringSize} is not a power of two`);
    this.ring = new SharedArrayBuffer(ringSize);
    this.ringBytes = Buffer.from(this.ring);
    const workerData: HashWorkerData = { fd: fh.fd, total, ring: this.ring, done: this.freed.buffer, directPath };
    this.worker = new Worker(WORKER_URL, {
      execArgv: [], // none of the parent's flags or loaders: the worker is plain compiled JavaScript
      workerData,
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', (err) => (this.failure ??= err));
  }

  /** `bufs` (n bytes) were written at `pos`. */
  written(pos: number, bufs: readonly Buffer[], n: number): void {
    const RING = this.ringSize;
    if (pos !== this.queued || this.stopped || n > RING) return;
    const inRing = (this.ringed - Atomics.load(this.freed, 0)) >>> 0;
    if (RING - inRing < n) return; // the worker is behind: these bytes are read back instead
    let at = this.ringed % RING;
    let start = at;
    let len = 0;
    for (const b of bufs) {
      let off = 0;
      while (off < b.length) {
        const k = Math.min(b.length - off, RING - at);
        b.copy(this.ringBytes, at, off, off + k);
        off += k;
        at += k;
        len += k;
        if (at === RING) {
          this.worker.postMessage(['d', start, len]);
          at = start = len = 0;
        }
      }
    }
    if (len > 0) this.worker.postMessage(['d', start, len]);
    this.ringed = (this.ringed + n) >>> 0;
    this.queued += n;
  }

  /** The file is complete from byte 0 up to `upto` (exclusive). */
  advance(upto: number): void {
    const to = Math.min(upto, this.total);
    if (to <= this.queued || this.stopped) return;
    this.worker.postMessage(['r', to]);
    this.queued = to;
  }

  /** The SHA-1 (hex) once the file is complete; the worker reads back whatever it was not given. */
  async digest(): Promise<string> {
    this.advance(this.total);
    try {
      const reply = await new Promise<HashWorkerReply>((resolve, reject) => {
        this.worker.once('message', resolve);
        this.worker.once('error', reject);
        // `exited`, not an 'exit' listener: a worker that already died (it failed to load, say) emits no more.
        void this.exited.then(() => reject(this.failure ?? new Error('the hashing worker stopped')));
        this.worker.postMessage(['q']);
      });
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply.hex as string;
    } finally {
      this.stop();
      await this.settled();
    }
  }

  /** Stop hashing (the download failed); the file handle may be closed after `settled`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    void this.worker.terminate();
  }

  /** Resolves once the worker is gone (no read of the file in flight). */
  async settled(): Promise<void> {
    if (this.stopped) await this.exited;
  }
}
