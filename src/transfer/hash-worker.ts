/**
 * The hashing worker's code (WorkerHasher starts it on its own thread). Messages in:
 * ['d', at, len]: bytes in the shared ring; ['r', upto]: read the file back up to `upto`;
 * ['q']: reply with the digest (or an error) once everything asked for is hashed.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface HashWorkerData {
  fd: number;
  total: number;
  ring: SharedArrayBuffer;
  done: SharedArrayBuffer;
  /** The file's path when it is written with O_DIRECT: it is read back with O_DIRECT too. */
  directPath?: string;
}

export type HashWorkerMessage = ['d', number, number] | ['r', number] | ['q'];
export type HashWorkerReply = { hex: string; error?: undefined } | { error: string; hex?: undefined };

const ALIGN = 4096;
const READ_BACK = 4 * 1024 * 1024;
const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT;
/** (WebAssembly is a global of Node; this project's TypeScript libs do not declare it.) */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

const { fd, total, ring, done, directPath } = workerData as HashWorkerData;
const bytes = Buffer.from(ring);
const freed = new Int32Array(done);
const hash = createHash('sha1');
let hashed = 0;
let failure: string | undefined;
let back: Buffer | undefined;
let dfd = -1;
let dback: Buffer | undefined;

if (directPath !== undefined && O_DIRECT !== undefined) {
  try {
    dfd = openSync(directPath, constants.O_RDONLY | O_DIRECT);
    // Page-aligned memory (WebAssembly memory starts on a page boundary), which O_DIRECT needs.
    dback = Buffer.from(new Wasm.Memory({ initial: 64, maximum: 64 }).buffer);
  } catch {
    dfd = -1;
  }
}

/** One O_DIRECT read at `hashed` (block-aligned); -1 when refused (then the shared descriptor reads). */
function readDirect(upto: number): number {
  const buf = dback as Buffer;
  const want = Math.min(buf.length, upto - hashed);
  let n: number;
  try {
    n = readSync(dfd, buf, 0, Math.ceil(want / ALIGN) * ALIGN, hashed);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EINVAL') throw err;
    closeSync(dfd);
    dfd = -1;
    return -1;
  }
  n = Math.min(n, want);
  if (n > 0) hash.update(buf.subarray(0, n));
  return n;
}

function readBack(upto: number): void {
  back ??= Buffer.allocUnsafe(Math.min(READ_BACK, Math.max(1, total)));
  try {
    while (failure === undefined && hashed < upto) {
      let n = dfd >= 0 && hashed % ALIGN === 0 ? readDirect(upto) : -1;
      if (n < 0) {
        n = readSync(fd, back, 0, Math.min(back.length, upto - hashed), hashed);
        if (n > 0) hash.update(n === back.length ? back : back.subarray(0, n));
      }
      if (n === 0) throw new Error(`file shorter than reported: ${hashed} < ${upto}`);
      hashed += n;
    }
  } catch (err) {
    failure ??= err instanceof Error ? err.message : String(err);
  }
}

function reply(): HashWorkerReply {
  if (failure !== undefined) return { error: failure };
  if (hashed !== total) return { error: `hashed ${hashed} of ${total} bytes` };
  return { hex: hash.digest('hex') };
}

parentPort?.on('message', (m: HashWorkerMessage) => {
  if (m[0] === 'd') {
    if (failure === undefined) hash.update(bytes.subarray(m[1], m[1] + m[2]));
    hashed += m[2];
    Atomics.add(freed, 0, m[2]);
  } else if (m[0] === 'r') {
    readBack(m[1]);
  } else {
    if (dfd >= 0) closeSync(dfd);
    dfd = -1;
    parentPort?.postMessage(reply());
  }
});
