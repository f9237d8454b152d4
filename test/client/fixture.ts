/** Shared set-up for client tests: an in-process emulator on port 0 and clients with fast backoff. */
import { B2Client } from '../../src/client/b2-client.js';
import type { ClientOptions } from '../../src/client/api.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/api.js';

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const mod = (await import('../../src/emulator/index.js')) as {
    startEmulator(o: EmulatorOptions): Promise<RunningEmulator>;
  };
  return mod.startEmulator({ port: 0, minPartSize: 1000, recommendedPartSize: 2000, ...opts });
}

export function makeClient(emu: RunningEmulator, extra: Partial<ClientOptions> = {}): B2Client {
  return new B2Client({
    applicationKeyId: emu.keyId,
    applicationKey: emu.applicationKey,
    endpoint: emu.url,
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    ...extra,
  });
}

let seq = 0;
/** A bucket name unique within the process. */
export function bucketName(tag: string): string {
  return `t-${tag}-${process.pid}-${++seq}`.slice(0, 50);
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function calls(emu: RunningEmulator, name: string): number {
  return emu.controls.counters().calls[name] ?? 0;
}

/** Run fn over items with at most `limit` in flight. */
export async function parallel<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}
