/**
 * Blobs on disk: <dir>/blobs/<2 hex>/<id>. A blob is written to <dir>/tmp/<id> and renamed into place
 * only on commit (after the caller verified its SHA-1), so a crash mid-upload never leaves a visible
 * half-written blob; leftovers in tmp/ are removed at start-up.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { BlobStore, BlobWriter } from './blobs.js';

const READ_CHUNK = 1024 * 1024;

export class FsBlobStore implements BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;

  private constructor(dir: string) {
    this.blobDir = join(dir, 'blobs');
    this.tmpDir = join(dir, 'tmp');
  }

  /** Prepare the directories (all 256 shards up front: no mkdir on the upload path) and clear tmp/. */
  static async open(dir: string): Promise<FsBlobStore> {
    const store = new FsBlobStore(dir);
    await rm(store.tmpDir, { recursive: true, force: true });
    await mkdir(store.tmpDir, { recursive: true });
    await mkdir(store.blobDir, { recursive: true });
    const shards: Promise<unknown>[] = [];
    for (let i = 0; i < 256; i++)
      shards.push(mkdir(join(store.blobDir, i.toString(16).padStart(2, '0')), { recursive: true }));
    await Promise.all(shards);
    return store;
  }

  private pathOf(id: string): string {
    return join(this.blobDir, id.slice(0, 2), id);
  }

  create(): BlobWriter {
    const id = randomBytes(12).toString('hex');
    const tmp = join(this.tmpDir, id);
    const final = this.pathOf(id);
    let ws: WriteStream | undefined;
    let failure: Error | undefined;
    const open = (): WriteStream => {
      if (!ws) {
        ws = createWriteStream(tmp, { highWaterMark: 1024 * 1024 });
        ws.on('error', (err) => {
          failure = err;
        });
      }
      return ws;
    };
    return {
      id,
      write(chunk: Buffer) {
        if (failure) return Promise.reject(failure);
        const s = open();
        if (s.write(chunk)) return undefined;
        return new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            s.off('error', onError);
            resolve();
          };
          const onError = (err: Error) => {
            s.off('drain', onDrain);
            reject(err);
          };
          s.once('drain', onDrain);
          s.once('error', onError);
        });
      },
      async commit() {
        const s = open();
        if (failure) throw failure;
        s.end();
        await once(s, 'close');
        if (failure) throw failure;
        await rename(tmp, final);
      },
      async abort() {
        if (ws) {
          ws.destroy();
          if (!ws.closed) await once(ws, 'close').catch(() => undefined);
        }
        await unlink(tmp).catch(() => undefined);
      },
    };
  }

  read(id: string, start: number, end: number): Readable {
    return createReadStream(this.pathOf(id), { start, end: end - 1, highWaterMark: READ_CHUNK });
  }

  async remove(id: string): Promise<void> {
    await unlink(this.pathOf(id)).catch(() => undefined);
  }

  async sweep(keep: Set<string>): Promise<void> {
    for (const shard of await readdir(this.blobDir)) {
      const dir = join(this.blobDir, shard);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) if (!keep.has(name)) await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}
