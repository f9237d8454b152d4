/**
 * The watch benchmark's view of the emulator's bucket: list the visible names under a prefix
 * (b2_list_file_names, 10,000 a call) and poll that listing until a condition holds. Each poll is a
 * real B2 call over HTTP, counted by the emulator like any other.
 */
import { createHash } from 'node:crypto';
import type { RawB2 } from './b2-raw.js';

export const sha1 = (data: Buffer | string): string => createHash('sha1').update(data).digest('hex');

/** Name (relative to the prefix) → content SHA-1 of the visible version. */
export type Listing = Map<string, string>;

export class BucketPoll {
  calls = 0;

  constructor(
    readonly raw: RawB2,
    readonly bucketId: string,
  ) {}

  static async open(raw: RawB2, bucketName: string): Promise<BucketPoll> {
    return new BucketPoll(raw, await raw.bucketId(bucketName));
  }

  /** Every visible name under `prefix` (which ends in '/'), relative to it. */
  async list(prefix: string): Promise<Listing> {
    const out: Listing = new Map();
    let startFileName: string | undefined;
    for (;;) {
      this.calls++;
      const page = await this.raw.call('b2_list_file_names', {
        bucketId: this.bucketId,
        prefix,
        startFileName,
        maxFileCount: 10_000,
      });
      for (const f of page.files as Array<{ fileName: string; contentSha1: string | null; fileInfo: any }>) {
        const large = f.fileInfo?.large_file_sha1 as string | undefined;
        out.set(
          f.fileName.slice(prefix.length),
          f.contentSha1 && f.contentSha1 !== 'none' ? f.contentSha1 : (large ?? ''),
        );
      }
      if (page.nextFileName == null) return out;
      startFileName = page.nextFileName;
    }
  }

  /**
   * List `prefix` every `intervalMs` until `done(listing)` is true; resolves with the time
   * (performance.now()) the listing that satisfied it came back. Rejects after timeoutMs, or when
   * `alive()` throws (the watcher died).
   */
  async until(
    prefix: string,
    done: (l: Listing) => boolean,
    o: { intervalMs: number; timeoutMs: number; alive?: () => void; what?: string },
  ): Promise<number> {
    const deadline = performance.now() + o.timeoutMs;
    let last: Listing = new Map();
    for (;;) {
      const t0 = performance.now();
      last = await this.list(prefix);
      const at = performance.now();
      if (done(last)) return at;
      o.alive?.();
      if (at > deadline)
        throw new Error(
          `${o.what ?? 'listing'}: condition not met after ${o.timeoutMs} ms (${last.size} names listed)`,
        );
      await sleep(Math.max(0, o.intervalMs - (at - t0)));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** p-th percentile (0..100) by nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
