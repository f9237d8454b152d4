/**
 * The open temp file of one download while it fills: its descriptor, the writer and the hasher.
 * Hashing, in file order: a batch written where the hash has got to is hashed from the buffers just
 * written; bytes written further on are read back once the file is complete up to them. From
 * bigDownloadCutoff bytes to fetch this runs on a worker thread (WorkerHasher), below it on this
 * thread (PrefixHasher).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PrefixHasher } from '../prefix-hasher.js';
import type { ProgressTracker } from '../progress.js';
import { WorkerHasher } from '../worker-hasher.js';
import { FileWriter } from './file-writer.js';
import type { Hasher } from './range-fetch.js';

export interface TempFillOptions {
  temp: string;
  /** Bytes kept from an earlier attempt. */
  offset: number;
  total: number;
  /** Whether to hash (false when B2 has no SHA-1 to check against). */
  hashed: boolean;
  /** Hash on a worker thread. */
  big: boolean;
  /** Write with O_DIRECT where allowed (tuning.directIo). */
  direct: boolean;
  progress: ProgressTracker;
}

export class TempFill {
  private fh: FileHandle | undefined;
  private out: FileWriter | undefined;
  hasher: Hasher | undefined;

  constructor(private readonly o: TempFillOptions) {}

  /** Open the temp file (truncated to the kept bytes), the writer and the hasher. */
  async open(): Promise<FileWriter> {
    const { temp, offset, total, progress } = this.o;
    this.fh = await open(temp, offset > 0 ? 'r+' : 'w+');
    if (offset > 0) await this.fh.truncate(offset); // past a prefix note's length the bytes are not trusted
    const out = (this.out = await FileWriter.open(this.fh, temp, this.o.direct));
    // With no SHA-1 to check against (a large file without large_file_sha1), nothing is hashed.
    if (this.o.hashed) {
      if (this.o.big) {
        this.hasher = new WorkerHasher(this.fh, total, undefined, out.directIo ? temp : undefined);
      } else this.hasher = new PrefixHasher(this.fh, total);
    }
    if (offset > 0) {
      this.hasher?.advance(offset); // the kept bytes are read back while the rest arrives
      progress.addBytes(offset);
    }
    return out;
  }

  /** After a complete fetch: close everything; the digest (when hashed) and the temp file's size. */
  async finish(fsync: boolean | undefined): Promise<{ digest: string | undefined; directIo: boolean; size: number }> {
    const fh = this.fh!;
    const out = this.out!;
    const directIo = out.directIo;
    await out.close();
    const digest = await this.hasher?.digest();
    if (fsync) await fh.datasync();
    const { size } = await fh.stat();
    await fh.close();
    this.fh = undefined;
    return { digest, directIo, size };
  }

  /** After a failure: stop hashing, close, and truncate to `keep` bytes when given (a parallel prefix). */
  async abandon(keep: number | undefined): Promise<void> {
    this.hasher?.stop();
    await this.hasher?.settled();
    await this.out?.close().catch(() => undefined);
    if (keep !== undefined && this.fh) await this.fh.truncate(keep).catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
  }
}
