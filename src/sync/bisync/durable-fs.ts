/** Durable file helpers for bisync's state dir: fsync of a directory, temp names, a small file written atomically. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Make renames and unlinks in `dir` durable (skipped where directories cannot be opened for fsync). */
export async function syncDir(dir: string): Promise<void> {
  let d: FileHandle | undefined;
  try {
    d = await open(dir, 'r');
    await d.sync();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw err;
  } finally {
    await d?.close();
  }
}

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
