/** Blobs kept in memory as the chunks they arrived in (no concatenation). */
import { randomBytes } from 'node:crypto';
import type { BlobStore, BlobWriter } from './blobs.js';

interface MemoryBlob {
  chunks: Buffer[];
  /** starts[i] = offset of chunks[i]. */
  starts: number[];
  size: number;
}

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, MemoryBlob>();

  create(): BlobWriter {
    const id = randomBytes(12).toString('hex');
    const blob: MemoryBlob = { chunks: [], starts: [], size: 0 };
    const blobs = this.blobs;
    let done = false;
    return {
      id,
      write(chunk: Buffer) {
        if (done || chunk.length === 0) return undefined;
        blob.starts.push(blob.size);
        // A small slice of a big socket buffer would pin the whole buffer: keep a copy instead.
        blob.chunks.push(chunk.buffer.byteLength > 2 * chunk.length ? Buffer.from(chunk) : chunk);
        blob.size += chunk.length;
        return undefined;
      },
      async commit() {
        done = true;
        blobs.set(id, blob);
      },
      async abort() {
        done = true;
        blob.chunks = [];
        blob.starts = [];
      },
    };
  }

  async *read(id: string, start: number, end: number): AsyncGenerator<Buffer> {
    const blob = this.blobs.get(id);
    if (!blob) throw new Error(`blob ${id} is gone`);
    // Binary search the chunk holding `start`.
    let lo = 0;
    let hi = blob.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blob.starts[mid] <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < blob.chunks.length; i++) {
      const cs = blob.starts[i];
      if (cs >= end) break;
      const chunk = blob.chunks[i];
      const from = Math.max(0, start - cs);
      const to = Math.min(chunk.length, end - cs);
      if (to > from) yield from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
    }
  }

  async remove(id: string): Promise<void> {
    this.blobs.delete(id);
  }

  async sweep(keep: Set<string>): Promise<void> {
    for (const id of this.blobs.keys()) if (!keep.has(id)) this.blobs.delete(id);
  }
}
