/**
 * A seeded random generator for the torture scenarios: every random choice (file sizes, fault
 * positions, kill points) comes from it, and its seed is printed so a failing run can be replayed
 * with B2SYNC_TORTURE_SEED=<seed>.
 */
import { randomInt } from 'node:crypto';

export interface Rng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** `n` pseudo-random bytes (fast enough for hundreds of MiB). */
  bytes(n: number): Buffer;
}

/** mulberry32: small, fast, good enough to spread faults and sizes. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator seeded from B2SYNC_TORTURE_SEED or at random; prints `<label> seed=<seed>`. */
export function seededRng(label: string): Rng {
  const fromEnv = process.env.B2SYNC_TORTURE_SEED;
  const seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) >>> 0 : randomInt(0, 2 ** 31);
  console.log(`${label} seed=${seed} (replay with B2SYNC_TORTURE_SEED=${seed})`);
  const next = mulberry32(seed);
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    bytes(n) {
      const words = new Uint32Array(Math.ceil(n / 4));
      let a = Math.floor(next() * 4294967296) >>> 0;
      for (let i = 0; i < words.length; i++) {
        // xorshift32, seeded from the main generator: one stream per file
        a ^= a << 13;
        a ^= a >>> 17;
        a ^= a << 5;
        words[i] = a >>> 0;
      }
      return Buffer.from(words.buffer, 0, n);
    },
  };
}
