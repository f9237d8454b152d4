/**
 * A local file being uploaded must not change under the upload, or B2 would store a torn mix of two
 * states. The file's identity (device, inode, size, mtime, ctime) is taken when the upload starts and
 * checked again after each read of its bytes; a change fails that attempt before its last byte reaches
 * B2 (SourceChangedError), and uploadLocalFile tries again once the file has settled.
 */
import type { BigIntStats } from 'node:fs';
import { sleep } from '../core/abort.js';

/**
 * A file whose ctime is this recent is still being written: file timestamps come from a coarse clock,
 * so a second write within the same tick could leave size and times as they were.
 */
export const SETTLE_MS = 50;
/** A ctime this far in the future is clock skew (a network file system), not a write in progress. */
const CLOCK_SKEW_MS = 2000;

/** The upload's source changed while it was read: nothing of that attempt was stored. */
export class SourceChangedError extends Error {
  override readonly name = 'SourceChangedError';
}

export interface SourceIdentity {
  path: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** The identity of a file from its stat, refusing one written to within the last SETTLE_MS. */
export function settledIdentity(path: string, st: BigIntStats, now = Date.now()): SourceIdentity {
  const age = now - Number(st.ctimeNs / 1_000_000n);
  if (age < SETTLE_MS && age > -CLOCK_SKEW_MS)
    throw new SourceChangedError(`${path} is being written to (changed ${Math.max(0, age)} ms ago)`);
  return { path, dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

/** Throw SourceChangedError when `st` (a later stat of the same path or open file) shows another identity. */
export function checkUnchanged(id: SourceIdentity, st: BigIntStats): void {
  let what: string | undefined;
  if (st.dev !== id.dev || st.ino !== id.ino) what = 'was replaced';
  else if (st.size !== id.size) what = `changed size (${id.size} -> ${st.size} bytes)`;
  else if (st.mtimeNs !== id.mtimeNs || st.ctimeNs !== id.ctimeNs) what = 'was modified';
  if (what) throw new SourceChangedError(`${id.path} ${what} while it was being uploaded`);
}

/**
 * The identity of a file that was written to just now, once it has been left alone for SETTLE_MS:
 * a freshly written file costs one short wait, one still being written a SourceChangedError.
 */
export async function settled(
  path: string,
  statNow: () => Promise<BigIntStats>,
  signal?: AbortSignal,
  first?: BigIntStats,
): Promise<SourceIdentity> {
  let st = first ?? (await statNow());
  for (let tries = 0; ; tries++) {
    try {
      return settledIdentity(path, st);
    } catch (err) {
      if (tries >= 2) throw err;
    }
    await sleep(SETTLE_MS, signal);
    st = await statNow();
  }
}
