/** Set-up for transfer tests: an in-process emulator on port 0, a fast-retry client, temp dirs, data. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { B2Api, DownloadOptions, DownloadResponse } from '../../src/client/api.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/api.js';

export const MIN_PART = 1000;

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const mod = (await import('../../src/emulator/index.js')) as {
    startEmulator(o: EmulatorOptions): Promise<RunningEmulator>;
  };
  return mod.startEmulator({ port: 0, minPartSize: MIN_PART, recommendedPartSize: 2000, ...opts });
}

/** The client tests' client: fast retries for tests. */
export { makeClient } from '../client/fixture.js';

let seq = 0;
export function bucketName(tag: string): string {
  return `tr-${tag}-${process.pid}-${++seq}`.slice(0, 50);
}

export async function makeBucket(client: B2Api, tag: string): Promise<{ bucketId: string; bucketName: string }> {
  const b = await client.createBucket({ bucketName: bucketName(tag), bucketType: 'allPrivate' });
  return { bucketId: b.bucketId, bucketName: b.bucketName };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-transfer-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function data(n: number): Buffer {
  return randomBytes(n);
}

export async function writeData(path: string, n: number): Promise<Buffer> {
  const b = data(n);
  await writeFile(path, b);
  return b;
}

export function sha1(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

export function calls(emu: RunningEmulator, name: string): number {
  return emu.controls.counters().calls[name] ?? 0;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A client whose download calls are recorded (range asked for), passing everything to the real one. */
export function spyDownloads(client: B2Api): {
  client: B2Api;
  ranges: ({ start: number; end?: number } | undefined)[];
} {
  const ranges: ({ start: number; end?: number } | undefined)[] = [];
  const spy = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'downloadById' || prop === 'downloadByName') {
        return (...args: unknown[]): Promise<DownloadResponse> => {
          const opts = args[args.length - 1] as DownloadOptions | undefined;
          ranges.push(opts?.range);
          return (target[prop] as (...a: unknown[]) => Promise<DownloadResponse>).apply(target, args);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { client: spy, ranges };
}
