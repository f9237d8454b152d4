/**
 * Local trees for the torture scenarios: write files of given sizes, and read a tree back as
 * name -> SHA-1 computed by the test itself (never b2sync's word).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Rng } from './rng.js';

export const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

export interface FileSpec {
  name: string;
  size: number;
}

/** Writes each file with pseudo-random bytes; returns name -> SHA-1 of what was written. */
export async function writeTree(root: string, files: readonly FileSpec[], rng: Rng): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of files) {
    const data = rng.bytes(f.size);
    await mkdir(dirname(join(root, f.name)), { recursive: true });
    await writeFile(join(root, f.name), data);
    out.set(f.name, sha1(data));
  }
  return out;
}

/** Every file under root (temp files included), as relative name -> SHA-1 of its bytes. */
export async function hashTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix + e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), rel + '/');
      else out.set(rel, sha1(await readFile(join(dir, e.name))));
    }
  };
  await walk(root, '');
  return out;
}

/** Names under root that are b2sync temp files (`*.b2sync-tmp`, and any `.b2sync-` helper file). */
export async function tempFiles(root: string): Promise<string[]> {
  const all = await readdir(root, { recursive: true });
  return all.filter((n) => n.endsWith('.b2sync-tmp') || n.includes('.b2sync-')).sort();
}

/** got holds exactly the names of want, each with the same SHA-1. */
export function assertSameTree(got: Map<string, string>, want: Map<string, string>, what: string): void {
  const missing = [...want.keys()].filter((n) => !got.has(n));
  const extra = [...got.keys()].filter((n) => !want.has(n));
  const wrong = [...want.keys()].filter((n) => got.has(n) && got.get(n) !== want.get(n));
  assert.deepEqual(
    { missing: missing.slice(0, 20), extra: extra.slice(0, 20), wrong: wrong.slice(0, 20) },
    { missing: [], extra: [], wrong: [] },
    `${what}: ${missing.length} missing, ${extra.length} extra, ${wrong.length} with other bytes`,
  );
}

/** Sum of the sizes. */
export const totalBytes = (files: readonly FileSpec[]): number => files.reduce((s, f) => s + f.size, 0);
