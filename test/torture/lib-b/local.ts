/** Helpers of the local-faults scenario: a small tmpfs, hashing, temp-file listing, a writer process. */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { block } from './blocks.js';

export const WRITER = new URL('./writer-child.ts', import.meta.url).pathname;

/** Mount a tmpfs of `size` (e.g. "4m") at dir; resolves to the reason when that is not possible here. */
export async function mountTmpfs(dir: string, size: string): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  if (process.platform !== 'linux') return 'a tmpfs mount needs Linux';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  return undefined;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}

export async function sha1File(path: string): Promise<string> {
  return createHash('sha1')
    .update(await readFile(path))
    .digest('hex');
}

export function sha1(data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Every file (recursively) whose name marks a b2sync temp file. */
export async function tempFiles(dir: string): Promise<string[]> {
  const all = (await readdir(dir, { recursive: true })) as string[];
  return all.filter((n) => n.includes('b2sync-tmp'));
}

/** Write `count` blocks of `size` bytes at generation `gen`. */
export async function writeBlocks(path: string, count: number, size: number, gen = 0): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (let i = 0; i < count; i++) await fh.write(block(i, gen, size));
  } finally {
    await fh.close();
  }
}

/** Start the writer process on `path`; resolves with its last JSON line when it stops. */
export function startWriter(
  path: string,
  mode: 'rewrite' | 'append',
  blocks: number,
  size: number,
  ms: number,
): { done: Promise<{ passes?: number; blocks?: number }>; started: Promise<void> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WRITER, path, mode, String(blocks), String(size), String(ms)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  let ready: () => void = () => undefined;
  const started = new Promise<void>((r) => (ready = r));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('ready\n')) ready();
  });
  const done = new Promise<{ passes?: number; blocks?: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`writer exit ${code}`)),
    );
  });
  return { done, started };
}
