/**
 * Compare: decide what to do with one march pair. Pure, apart from the SHA-1 lookups that --checksum
 * needs (passed in as functions).
 */
import type { MarchPair } from './march.js';
import type { ActionKind, CompareMode, Entry, PlanAction, PlanReason } from './types.js';

export const DEFAULT_MODIFY_WINDOW_MS = 1;

export interface CompareOptions {
  mode: 'sync' | 'copy';
  compare: CompareMode;
  modifyWindowMs: number;
  update?: boolean;
  ignoreExisting?: boolean;
  /** upload, download or copy, by direction. */
  transferAction: Exclude<ActionKind, 'delete' | 'skip'>;
}

/** A planned step with the entries the executor needs. */
export interface PlanItem {
  action: PlanAction;
  src?: Entry;
  dst?: Entry;
  /** A local deletion that must happen before the transfers (a file becomes a folder or back). */
  early?: boolean;
}

export interface HashSources {
  /** SHA-1 of the source entry, or undefined when it cannot be known. */
  src(e: Entry): Promise<string | undefined>;
  dst(e: Entry): Promise<string | undefined>;
  /** Called when checksum mode falls back to size and time for a pair. */
  onFallback?(path: string, why: string): void;
}

function item(action: ActionKind, e: Entry, reason: PlanReason, pair: MarchPair): PlanItem {
  const a: PlanAction = { action, path: e.path, reason };
  if (action !== 'delete' || e.kind === 'file') a.size = e.size;
  return { action: a, src: pair.src, dst: pair.dst };
}

/** Size and time only (no hashes): the decision for a pair present on both sides. */
function bySizeAndTime(src: Entry, dst: Entry, o: CompareOptions, pair: MarchPair): PlanItem {
  if (src.size !== dst.size) return item(o.transferAction, src, 'changed size', pair);
  const d = src.mtimeMs - dst.mtimeMs;
  if (Math.abs(d) <= o.modifyWindowMs) return item('skip', src, 'same size and time', pair);
  return item(o.transferAction, src, d > 0 ? 'newer' : 'older', pair);
}

/** decideNow's answer when the pair can only be decided by hashing (decide does that). */
export const NEEDS_HASHES: unique symbol = Symbol('needs hashes');

/**
 * Decide one pair. Returns undefined when nothing is to be said (a destination extra in copy mode).
 * Order of rules: --ignore-existing, markers, --update, then the compare mode.
 */
export async function decide(pair: MarchPair, o: CompareOptions, hashes?: HashSources): Promise<PlanItem | undefined> {
  const r = decideNow(pair, o, hashes);
  return r === NEEDS_HASHES ? byHashes(pair.src!, pair.dst!, o, hashes!, pair) : r;
}

/**
 * decide without awaiting anything: the decision, or NEEDS_HASHES when --checksum must read SHA-1s
 * (a local file's, through the cache). The planner decides most pairs this way, with no promise each.
 */
export function decideNow(
  pair: MarchPair,
  o: CompareOptions,
  hashes?: HashSources,
): PlanItem | undefined | typeof NEEDS_HASHES {
  const { src, dst } = pair;
  if (src && !dst) return item(o.transferAction, src, 'new', pair);
  if (!src && dst) return o.mode === 'sync' ? item('delete', dst, 'extra on destination', pair) : undefined;
  if (!src || !dst) return undefined;
  if (o.ignoreExisting) return item('skip', src, 'exists on destination', pair);
  if (src.kind === 'marker' || dst.kind === 'marker') {
    if (src.kind === dst.kind) return item('skip', src, 'exists on destination', pair);
    return item(o.transferAction, src, 'new', pair);
  }
  if (o.update && dst.mtimeMs - src.mtimeMs > o.modifyWindowMs) return item('skip', src, 'destination newer', pair);
  switch (o.compare) {
    case 'size-only':
      return src.size !== dst.size
        ? item(o.transferAction, src, 'changed size', pair)
        : item('skip', src, 'same size', pair);
    case 'size-mtime':
      return bySizeAndTime(src, dst, o, pair);
    case 'checksum': {
      if (src.size !== dst.size) return item(o.transferAction, src, 'changed size', pair);
      if (!hashes) return bySizeAndTime(src, dst, o, pair);
      // A B2 entry (no localPath) knows its SHA-1 from the listing or not at all: when it does not,
      // fall back at once instead of reading the local file for nothing.
      if (unknownSha1(src) || unknownSha1(dst)) {
        fallBack(hashes, src.path, unknownSha1(src) ? 'source' : 'destination');
        return bySizeAndTime(src, dst, o, pair);
      }
      return NEEDS_HASHES;
    }
  }
}

const unknownSha1 = (x: Entry) => x.localPath === undefined && x.sha1 === undefined;

function fallBack(hashes: HashSources, path: string, side: 'source' | 'destination'): void {
  hashes.onFallback?.(
    path,
    `no SHA-1 known on the ${side} (large file without large_file_sha1): compared by size and time`,
  );
}

async function byHashes(
  src: Entry,
  dst: Entry,
  o: CompareOptions,
  hashes: HashSources,
  pair: MarchPair,
): Promise<PlanItem | undefined> {
  const [hs, hd] = await Promise.all([hashes.src(src), hashes.dst(dst)]);
  if (hs === undefined || hd === undefined) {
    fallBack(hashes, src.path, hs === undefined ? 'source' : 'destination');
    return bySizeAndTime(src, dst, o, pair);
  }
  return hs === hd ? item('skip', src, 'same checksum', pair) : item(o.transferAction, src, 'checksum differs', pair);
}
