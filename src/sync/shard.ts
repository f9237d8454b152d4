/**
 * --shard i/n: which paths a shard takes. A path (relative to the sync roots, '/'-separated, as its B2
 * name suffix) is in shard i when the first 4 bytes of the SHA-1 of its UTF-8 bytes, read as a
 * big-endian unsigned integer, modulo n equal i - 1. Stable across hosts, runs and versions.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The 1-based shard a path falls in among n. */
export function shardOf(path: string, n: number): number {
  return (createHash('sha1').update(path, 'utf8').digest().readUInt32BE(0) % n) + 1;
}

/** Parse "i/n" (1 ≤ i ≤ n ≤ 10000); undefined when malformed. */
export function parseShard(text: string): Shard | undefined {
  const m = /^\s*(\d{1,5})\s*\/\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (index < 1 || count < 1 || index > count || count > 10_000) return undefined;
  return { index, count };
}
