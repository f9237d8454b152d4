/** Durable file helpers for bisync's state dir: fsync of a directory, temp names, a small file written atomically. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from '../../transfer/index.js';

export { syncDir };

/** A temp name beside `target`: `<target>.tmp-<pid>-<random>`. */
export function tempName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Write a small file atomically: temp + fsync + rename + fsync of the directory. */
export async function writeFileAtomic(target: string, data: string): Promise<void> {
  const tmp = tempName(target);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, target);
  await syncDir(dirname(target));
}

/** Remove files (missing ones are fine), then fsync their directory. */
export async function removeDurable(dir: string, ...files: string[]): Promise<void> {
  for (const f of files) await rm(f, { force: true });
  await syncDir(dir);
}
