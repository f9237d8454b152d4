/**
 * Source trees for the sync benchmark: many small files in a two-level folder layout, or one big file.
 * Layout: d000/s0/f00000.txt … — 100 files per leaf folder, 10 leaf folders per top folder, so a tool
 * that lists folder by folder (rclone without --fast-list) sees ceil(n/100) + ceil(n/1000) + 1 folders.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FILES_PER_DIR = 100;
export const DIRS_PER_TOP = 10;

/** Relative path (with '/') of the i-th file of a small-file tree. */
export function smallTreePath(i: number): string {
  const leaf = Math.floor(i / FILES_PER_DIR);
  const top = Math.floor(leaf / DIRS_PER_TOP);
  return `d${String(top).padStart(3, '0')}/s${leaf % DIRS_PER_TOP}/f${String(i).padStart(6, '0')}.txt`;
}

/**
 * Write `count` files of minSize..maxSize random bytes (uniform) under `dir`; returns total bytes.
 * Writes `parallel` files at a time (file creation dominates, not bytes).
 */
export async function makeSmallTree(
  dir: string,
  count: number,
  minSize: number,
  maxSize: number,
  parallel = 32,
): Promise<number> {
  const leaves = Math.ceil(count / FILES_PER_DIR);
  for (let leaf = 0; leaf < leaves; leaf++) {
    await mkdir(join(dir, smallTreePath(leaf * FILES_PER_DIR), '..'), { recursive: true });
  }
  const pool = randomBytes(maxSize + 4096);
  let total = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const size = minSize + Math.floor(Math.random() * (maxSize - minSize + 1));
      const off = Math.floor(Math.random() * 4096);
      const body = Buffer.from(pool.subarray(off, off + size));
      if (size >= 4) body.writeUInt32LE(i, 0); // no two files alike
      total += size;
      await writeFile(join(dir, smallTreePath(i)), body);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return total;
}

/** A file of random bytes: a 16 MiB random block, each copy stamped with its index (nothing dedupes). */
export async function makeBigFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const block = randomBytes(16 * 2 ** 20);
    for (let off = 0, k = 0; off < bytes; off += block.length, k++) {
      const n = Math.min(block.length, bytes - off);
      block.writeUInt32LE(k, 0);
      await fh.write(block, 0, n);
    }
  } finally {
    await fh.close();
  }
}
