/**
 * Bisync's change tests and rules table (docs/bisync-rules.md): what to do with one path, from the
 * saved state S, the local entry L and the remote entry R. Pure: when a rule needs the local file's
 * SHA-1 and it has not been read yet, the answer is NEEDS_HASH and the caller decides again with it.
 */
import type { Entry } from '../types.js';
import { conflictOp, downloadOp, localMeta, remoteMeta, settleOp, uploadOp } from './ops.js';
import type { BisyncOp, BisyncPlannerOptions, StateRecord } from './types.js';

/** A rule needs the local file's SHA-1 (decide again with it). */
export const NEEDS_HASH: unique symbol = Symbol('needs hash');

/** The local file's SHA-1: undefined = not read yet, null = could not be read. */
export type LocalHash = string | null | undefined;

export type ChangeOptions = Pick<BisyncPlannerOptions, 'modifyWindowMs' | 'checksum'>;

/** What the rules table says for one path. */
export type Ruling =
  /** Unchanged: the refreshed record (`same`: equal to the saved one, nothing to write). */
  | { kind: 'keep'; rec: StateRecord; same: boolean }
  | { kind: 'op'; op: BisyncOp }
  /** Gone from both sides: the path leaves the state (`path` when it had a record). */
  | { kind: 'drop'; path?: string }
  /** Rename candidates (paired after the march, else their normal op). */
  | { kind: 'gone-local'; s: StateRecord; r: Entry }
  | { kind: 'gone-remote'; s: StateRecord; l: Entry }
  | { kind: 'new-local'; l: Entry }
  | { kind: 'new-remote'; r: Entry };

/** The hash when known without reading (the entry carries it) or already read. */
function known(l: Entry, h: LocalHash): LocalHash {
  return l.sha1 !== undefined ? l.sha1 : h;
}

/**
 * Has the local file changed since S? Size, else time beyond the window; with --checksum and a
 * SHA-1 in S, content decides (a touched file with the same SHA-1 is unchanged).
 */
export function localChanged(s: StateRecord, l: Entry, o: ChangeOptions, h?: LocalHash): boolean | typeof NEEDS_HASH {
  if (l.size !== s.local.size) return true;
  const moved = Math.abs(l.mtimeMs - s.local.mtimeMs) > o.modifyWindowMs;
  if (!o.checksum || s.local.sha1 === undefined) return moved;
  const k = known(l, h);
  if (k === undefined) return NEEDS_HASH;
  return k === null ? moved : k !== s.local.sha1;
}

/** Has the remote file changed since S? Same fileId: no; both SHA-1s known: size or SHA-1; else size or time. */
export function remoteChanged(s: StateRecord, r: Entry, o: ChangeOptions): boolean {
  if (s.remote.fileId !== undefined && s.remote.fileId === r.fileId) return false;
  if (r.size !== s.remote.size) return true;
  if (s.remote.sha1 !== undefined && r.sha1 !== undefined) return r.sha1 !== s.remote.sha1;
  return Math.abs(r.mtimeMs - s.remote.mtimeMs) > o.modifyWindowMs;
}

/** Do L and R hold the same content? Same size and (time within the window, or the local SHA-1 equals R's). */
export function sameContent(l: Entry, r: Entry, o: ChangeOptions, h?: LocalHash): boolean | typeof NEEDS_HASH {
  if (l.size !== r.size) return false;
  if (Math.abs(l.mtimeMs - r.mtimeMs) <= o.modifyWindowMs) return true;
  if (r.sha1 === undefined) return false;
  const k = known(l, h);
  if (k === undefined) return NEEDS_HASH;
  return k !== null && k === r.sha1;
}

const sha = (l: Entry, h: LocalHash): string | undefined => known(l, h) ?? undefined;

/** An unchanged path's record, refreshed from the current entries (a known SHA-1 kept). */
export function refreshed(s: StateRecord, l: Entry, r: Entry, h: LocalHash): StateRecord {
  const lsha = sha(l, h) ?? s.local.sha1;
  const rsha = r.sha1 ?? (r.fileId === s.remote.fileId || r.size === s.remote.size ? s.remote.sha1 : undefined);
  return { path: s.path, local: localMeta(l, lsha), remote: remoteMeta(r, r.fileId, rsha) };
}

/** Is the refreshed record the saved one, field for field? */
export function sameRecord(a: StateRecord, b: StateRecord): boolean {
  const [al, bl, ar, br] = [a.local, b.local, a.remote, b.remote];
  return (
    a.path === b.path &&
    al.size === bl.size &&
    al.mtimeMs === bl.mtimeMs &&
    al.ino === bl.ino &&
    al.sha1 === bl.sha1 &&
    ar.size === br.size &&
    ar.mtimeMs === br.mtimeMs &&
    ar.fileId === br.fileId &&
    ar.sha1 === br.sha1
  );
}

/** The keep ruling for an unchanged path. */
export function keep(s: StateRecord, rec: StateRecord): Ruling {
  return { kind: 'keep', rec, same: sameRecord(rec, s) };
}

/** Both sides present: settle when the content is the same, else a conflict. */
function bothPresent(
  t: { s?: StateRecord; l: Entry; r: Entry },
  o: BisyncPlannerOptions,
  h: LocalHash,
): Ruling | typeof NEEDS_HASH {
  const same = sameContent(t.l, t.r, o, h);
  if (same === NEEDS_HASH) return same;
  const op = same ? settleOp(t.l, t.r, t.s, sha(t.l, h)) : conflictOp(t.l, t.r, t.s, o, sha(t.l, h));
  return { kind: 'op', op };
}

/** The rules table for one path (entries already filtered; at least one of s, l, r present). */
export function decide(
  t: { s?: StateRecord; l?: Entry; r?: Entry },
  o: BisyncPlannerOptions,
  h?: LocalHash,
): Ruling | typeof NEEDS_HASH {
  const { s, l, r } = t;
  if (!s) {
    if (l && r) return bothPresent({ l, r }, o, h);
    if (l) return { kind: 'new-local', l };
    if (r) return { kind: 'new-remote', r };
    return { kind: 'drop' };
  }
  if (!l && !r) return { kind: 'drop', path: s.path };
  const lc = l ? localChanged(s, l, o, h) : false;
  if (lc === NEEDS_HASH) return lc;
  const rc = r ? remoteChanged(s, r, o) : false;
  if (l && r) {
    if (!lc && !rc) return keep(s, refreshed(s, l, r, h));
    if (lc && !rc) return { kind: 'op', op: uploadOp(l, r, s, 'changed', sha(l, h)) };
    if (!lc && rc) return { kind: 'op', op: downloadOp(r, l, s, 'changed') };
    return bothPresent({ s, l, r }, o, h);
  }
  if (r)
    return rc
      ? { kind: 'op', op: downloadOp(r, undefined, s, 'restored (changed on the other side)') }
      : { kind: 'gone-local', s, r };
  return lc
    ? { kind: 'op', op: uploadOp(l!, undefined, s, 'restored (changed on the other side)', sha(l!, h)) }
    : { kind: 'gone-remote', s, l: l! };
}
