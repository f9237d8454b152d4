/**
 * check: the comparison of one pair present on both sides. Size first; then the SHA-1s (a local file's
 * through the hash cache, a B2 file's from the listing: contentSha1 or large_file_sha1), or with
 * download the bytes themselves, streamed from both sides.
 */
import { createReadStream } from 'node:fs';
import type { LocalHasher } from '../hash-cache.js';
import type { Side } from '../sides.js';
import type { Entry } from '../types.js';
import { firstDifference } from './same-bytes.js';

export type PairOutcome =
  { kind: 'match'; by: 'sha1' | 'bytes' } | { kind: 'size-only'; why: string } | { kind: 'differ'; reason: string };

/** One side of a check: where it is, and its hasher when it is local. */
export interface CheckSide {
  side: Side;
  role: 'source' | 'destination';
  hasher?: LocalHasher;
}

export interface PairContext {
  src: CheckSide;
  dst: CheckSide;
  download: boolean;
  signal?: AbortSignal;
}

/** The bytes of an entry: a local file read in 1 MiB chunks, or a B2 file's download body. */
async function openBytes(e: Entry, s: CheckSide, signal?: AbortSignal): Promise<AsyncIterable<unknown>> {
  if (s.side.kind === 'local') return createReadStream(e.localPath!, { signal, highWaterMark: 1 << 20 });
  const r = await s.side.client.downloadById(e.fileId!, { signal });
  return r.body;
}

/** The SHA-1 of an entry, or undefined when B2 does not know it (a large file without large_file_sha1). */
async function sha1Of(e: Entry, s: CheckSide): Promise<string | undefined> {
  if (s.side.kind === 'b2' || !s.hasher) return e.sha1;
  e.sha1 ??= await s.hasher.sha1(e);
  return e.sha1;
}

const noSha1 = (e: Entry, s: CheckSide) => s.side.kind === 'b2' && e.sha1 === undefined;

export async function comparePair(src: Entry, dst: Entry, c: PairContext): Promise<PairOutcome> {
  if (src.size !== dst.size) return { kind: 'differ', reason: `sizes differ (${src.size} and ${dst.size} bytes)` };
  if (c.download) {
    const at = await firstDifference(await openBytes(src, c.src, c.signal), await openBytes(dst, c.dst, c.signal));
    return at === undefined
      ? { kind: 'match', by: 'bytes' }
      : { kind: 'differ', reason: `contents differ at byte ${at}` };
  }
  // A B2 file without a SHA-1 cannot be compared by hash: say so before reading the local file for nothing.
  const unknown = noSha1(src, c.src) ? c.src : noSha1(dst, c.dst) ? c.dst : undefined;
  if (unknown)
    return {
      kind: 'size-only',
      why: `no SHA-1 known on the ${unknown.role} (large file without large_file_sha1): compared by size only (--download compares the bytes)`,
    };
  const [hs, hd] = await Promise.all([sha1Of(src, c.src), sha1Of(dst, c.dst)]);
  return hs === hd ? { kind: 'match', by: 'sha1' } : { kind: 'differ', reason: 'SHA-1 differs' };
}
