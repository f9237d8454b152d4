/**
 * Files made of fixed-size blocks whose bytes are a function of (block index, generation), so a
 * test knows every complete state a writer gives a file and can tell a torn mix of two from it.
 */
import { createHash } from 'node:crypto';

/** The bytes of block `index` at generation `gen`: a header naming both, then a repeated pattern. */
export function block(index: number, gen: number, size: number): Buffer {
  const head = Buffer.from(`gen=${String(gen).padStart(8, '0')} block=${String(index).padStart(8, '0')}\n`);
  const fill = createHash('sha1').update(`${gen}:${index}`).digest();
  const b = Buffer.alloc(size, fill);
  head.copy(b, 0, 0, Math.min(head.length, size));
  return b;
}

/** SHA-1 of `count` blocks, block i at generation gens(i). */
export function stateSha1(count: number, size: number, gens: (i: number) => number): string {
  const h = createHash('sha1');
  for (let i = 0; i < count; i++) h.update(block(i, gens(i), size));
  return h.digest('hex');
}

/** The generations of the blocks in `data` (for a diagnostic: a torn mix shows two). */
export function generations(data: Buffer, size: number): number[] {
  const out = new Set<number>();
  for (let o = 0; o + 16 < data.length; o += size) {
    const m = /^gen=(\d{8})/.exec(data.subarray(o, o + 16).toString('latin1'));
    out.add(m ? Number(m[1]) : -1);
  }
  return [...out].sort((a, b) => a - b);
}
