/**
 * SHA-1 of a file that is being written, computed on a worker thread: the writer reports how far the
 * file is complete from its start (`advance`), the worker reads that prefix back and hashes it, so
 * the hashing runs beside the download instead of on the event loop. The worker code is inline
 * (eval) so it runs the same from source, a bundle or dist.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { path, total } = workerData;
const fd = openSync(path, 'r');
const hash = createHash('sha1');
const buf = Buffer.allocUnsafe(Math.max(1, Math.min(4 * 1024 * 1024, total)));
let hashed = 0;
let upto = 0;
function drain() {
  try {
    while (hashed < upto) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, upto - hashed), hashed);
      if (n === 0) throw new Error('file shorter than reported: ' + hashed + ' < ' + upto);
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      hashed += n;
    }
    if (hashed >= total) {
      closeSync(fd);
      parentPort.postMessage({ digest: hash.digest('hex') });
      parentPort.close();
    }
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
    parentPort.close();
  }
}
parentPort.on('message', (m) => {
  if (m > upto) upto = Math.min(m, total);
  drain();
});
if (total === 0) drain();
`;

export interface FileHasher {
  /** The file is complete from byte 0 up to `upto` (exclusive). */
  advance(upto: number): void;
  /** The SHA-1 once the worker has hashed `total` bytes. */
  digest(): Promise<string>;
  stop(): void;
}

/** Report progress to the worker at most every STEP bytes (and at the end). */
const STEP = 4 * 1024 * 1024;

export function startFileHasher(path: string, total: number): FileHasher {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, total } });
  worker.unref();
  let sent = 0;
  let settled = false;
  const result = new Promise<string>((resolve, reject) => {
    worker.on('message', (m: { digest?: string; error?: string }) => {
      settled = true;
      if (m.digest) resolve(m.digest);
      else reject(new Error(`hashing ${path}: ${m.error}`));
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`hashing ${path}: worker exited (${code})`));
    });
  });
  result.catch(() => undefined); // observed through digest()
  return {
    advance(upto: number) {
      if (upto > sent && (upto - sent >= STEP || upto >= total)) {
        sent = upto;
        worker.postMessage(upto);
      }
    },
    digest: () => result,
    stop() {
      if (!settled) void worker.terminate();
    },
  };
}
