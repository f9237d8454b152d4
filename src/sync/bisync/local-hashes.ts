/**
 * bisync's local SHA-1s, read through sync's LocalHasher, so that the hash cache (hash-cache.ts) is
 * the one sync --checksum keeps: a file one of them hashed is not read again by the other while its
 * path, size, mtime and inode are unchanged. The planner asks in march order (rename candidates come
 * after, out of order: they look up and record nothing new in the cache, which needs path order);
 * hashes are recorded in the order they were asked for, whatever order they finish in.
 *
 * With --checksum bisync hashes every file whose saved state knows its SHA-1, so the new cache file
 * it writes is as full as sync's. Without it bisync hashes only a few files (the state keeps their
 * SHA-1s), so it only reads the cache and leaves the file as it is, rather than replace it with a
 * nearly empty one.
 */
import { LocalHasher } from '../hash-cache.js';
import type { Entry } from '../types.js';

export class LocalHashes {
  private readonly hasher: LocalHasher;
  private recorded: Promise<unknown> = Promise.resolve();
  /** The cache is opened at the first hash: a run that hashes nothing does not touch it. */
  private opened?: Promise<void>;

  /** `write`: replace the cache file with this run's hashes at close (--checksum). */
  constructor(
    root: string,
    cacheDir: string | undefined,
    private readonly write: boolean,
    signal?: AbortSignal,
  ) {
    this.hasher = new LocalHasher(root, cacheDir, signal);
  }

  /** Files actually read (cache misses). */
  get hashed(): number {
    return this.hasher.hashed;
  }

  /** Hashes the cache answered. */
  get hits(): number {
    return this.hasher.hits;
  }

  /** The SHA-1 of a local file (from the cache when it is still valid); undefined when it cannot be read. */
  sha1(e: Entry): Promise<string | undefined> {
    // a cache that cannot be opened is no cache: files are read
    this.opened ??= this.hasher.open().catch(() => undefined);
    const h = this.opened.then(() => this.hasher.sha1(e));
    if (this.write)
      this.recorded = Promise.all([this.recorded, h]).then(
        ([, hex]) => this.hasher.record(e, hex),
        () => undefined,
      );
    return h.catch(() => undefined);
  }

  /** Finish: the cache file is replaced only with --checksum and after a complete plan. */
  async close(complete: boolean): Promise<void> {
    if (!this.opened) return;
    await this.opened;
    await this.recorded;
    await this.hasher.close(complete && this.write);
  }
}
