/**
 * Empty folders (--create-empty-src-dirs), as sync keeps them: an empty local folder is the marker
 * entry `<folder>/.bzEmpty` of the local walk, and on B2 a zero-byte `.bzEmpty` file. A marker has no
 * content to compare, so it is never changed, never a conflict and never half of a rename: it is
 * there or not on each side, and the rules table reduces to presence. New on one side: made on the
 * other (uploaded, or the local folder made); gone from one side since the state: removed from the
 * other (hidden on B2, or the local folder removed if it is still empty).
 */
import { EMPTY_DIR_MARKER } from '../remotes/local.js';
import type { Entry } from '../types.js';
import { deleteLocalOp, deleteRemoteOp, downloadOp, settleOp, uploadOp } from './ops.js';
import { keep, refreshed, type Ruling } from './rules.js';
import type { StateRecord } from './types.js';

/** Is this path an empty-folder marker (`.bzEmpty` as its last component)? */
export function isMarkerPath(path: string): boolean {
  return path === EMPTY_DIR_MARKER || path.endsWith('/' + EMPTY_DIR_MARKER);
}

/** The rules for a marker path (entries already filtered; at least one of s, l, r present). */
export function decideMarker(t: { s?: StateRecord; l?: Entry; r?: Entry }): Ruling {
  const { s, l, r } = t;
  if (l && r) return s ? keep(s, refreshed(s, l, r, undefined)) : { kind: 'op', op: settleOp(l, r, s) };
  if (l) return { kind: 'op', op: s ? deleteLocalOp(l, s) : uploadOp(l, undefined, undefined, 'new') };
  if (r) return { kind: 'op', op: s ? deleteRemoteOp(r, s) : downloadOp(r, undefined, undefined, 'new') };
  return { kind: 'drop', path: s?.path };
}
