/**
 * Builders of bisync's planned operations with their state changes (what the saved state becomes
 * once the operation succeeds). Ids are -1 here; the planner numbers operations as it emits them.
 */
import type { Entry } from '../types.js';
import { conflictName } from './conflict-name.js';
import type {
  BisyncOp,
  BisyncPlannerOptions,
  BisyncReason,
  LocalMeta,
  RemoteMeta,
  StateChange,
  StateRecord,
  Where,
} from './types.js';

/** A local file's record; `sha1` when known. */
export function localMeta(e: { size: number; mtimeMs: number; ino?: number }, sha1?: string): LocalMeta {
  const m: LocalMeta = { size: e.size, mtimeMs: e.mtimeMs };
  if (e.ino !== undefined) m.ino = e.ino;
  if (sha1 !== undefined) m.sha1 = sha1;
  return m;
}

/** A remote version's record (no fileId: one this run is about to create). */
export function remoteMeta(e: { size: number; mtimeMs: number }, fileId?: string, sha1?: string): RemoteMeta {
  const m: RemoteMeta = { size: e.size, mtimeMs: e.mtimeMs };
  if (fileId !== undefined) m.fileId = fileId;
  if (sha1 !== undefined) m.sha1 = sha1;
  return m;
}

/** A state change, with no undefined keys. */
export function change(path: string, before?: StateRecord, after?: StateRecord): StateChange {
  const c: StateChange = { path };
  if (before) c.before = before;
  if (after) c.after = after;
  return c;
}

/** The record once the local file `l` is uploaded to `path`. */
export function uploadedRecord(path: string, l: Entry, sha1?: string): StateRecord {
  const h = sha1 ?? l.sha1;
  return { path, local: localMeta(l, h), remote: remoteMeta(l, undefined, h) };
}

/** The record once the remote version `r` is downloaded to `path`. */
export function downloadedRecord(path: string, r: Entry): StateRecord {
  return { path, local: localMeta({ size: r.size, mtimeMs: r.mtimeMs }), remote: remoteMeta(r, r.fileId, r.sha1) };
}

export function uploadOp(
  l: Entry,
  r: Entry | undefined,
  s: StateRecord | undefined,
  reason: BisyncReason,
  sha1?: string,
): BisyncOp {
  const op: BisyncOp = { id: -1, op: 'upload', path: l.path, reason, size: l.size, local: l, changes: [] };
  if (r) op.remote = r;
  op.changes.push(change(l.path, s, uploadedRecord(l.path, l, sha1)));
  return op;
}

export function downloadOp(r: Entry, l: Entry | undefined, s: StateRecord | undefined, reason: BisyncReason): BisyncOp {
  const op: BisyncOp = { id: -1, op: 'download', path: r.path, reason, size: r.size, remote: r, changes: [] };
  if (l) op.local = l;
  op.changes.push(change(r.path, s, downloadedRecord(r.path, r)));
  return op;
}

export function deleteLocalOp(l: Entry, s: StateRecord): BisyncOp {
  return {
    id: -1,
    op: 'delete-local',
    path: l.path,
    reason: 'deleted',
    size: l.size,
    local: l,
    changes: [change(l.path, s)],
  };
}

export function deleteRemoteOp(r: Entry, s: StateRecord): BisyncOp {
  const changes = [change(r.path, s)];
  return { id: -1, op: 'delete-remote', path: r.path, reason: 'deleted', size: r.size, remote: r, changes };
}

/** Both sides hold the same content: the state records it (`sha1`: the local file's, when hashed). */
export function settleOp(l: Entry, r: Entry, s: StateRecord | undefined, sha1?: string): BisyncOp {
  const after: StateRecord = {
    path: l.path,
    local: localMeta(l, sha1 ?? l.sha1),
    remote: remoteMeta(r, r.fileId, r.sha1),
  };
  return {
    id: -1,
    op: 'settle',
    path: l.path,
    reason: 'same content',
    size: l.size,
    local: l,
    remote: r,
    changes: [change(l.path, s, after)],
  };
}

/** The local file `l` (now at a new name) was at `gone.path`, whose remote version `r` B2 copies over. */
export function renameRemoteOp(gone: StateRecord, r: Entry, l: Entry, sha1?: string): BisyncOp {
  const h = sha1 ?? l.sha1 ?? gone.local.sha1 ?? gone.remote.sha1;
  const after: StateRecord = { path: l.path, local: localMeta(l, h), remote: remoteMeta(r, undefined, r.sha1 ?? h) };
  const changes = [change(gone.path, gone), change(l.path, undefined, after)];
  return {
    id: -1,
    op: 'rename-remote',
    path: l.path,
    from: gone.path,
    reason: 'renamed',
    size: l.size,
    remote: r,
    local: l,
    changes,
  };
}

/** The remote version `r` (a new name) was at `gone.path`, whose local file `l` moves to it. */
export function renameLocalOp(gone: StateRecord, l: Entry, r: Entry): BisyncOp {
  const h = gone.local.sha1 ?? r.sha1;
  const after: StateRecord = { path: r.path, local: localMeta(l, h), remote: remoteMeta(r, r.fileId, r.sha1) };
  const changes = [change(gone.path, gone), change(r.path, undefined, after)];
  return {
    id: -1,
    op: 'rename-local',
    path: r.path,
    from: gone.path,
    reason: 'renamed',
    size: r.size,
    local: l,
    remote: r,
    changes,
  };
}

/** The side that keeps the name, by policy (keep-both and newer: the newer mtime; ties: path1). */
export function conflictWinner(l: Entry, r: Entry, o: BisyncPlannerOptions): Where {
  const path1: Where = o.localIs === 'path1' ? 'local' : 'remote';
  const path2: Where = path1 === 'local' ? 'remote' : 'local';
  switch (o.conflict) {
    case 'path1':
      return path1;
    case 'path2':
      return path2;
    case 'older':
      return l.mtimeMs === r.mtimeMs ? path1 : l.mtimeMs < r.mtimeMs ? 'local' : 'remote';
    default:
      return l.mtimeMs === r.mtimeMs ? path1 : l.mtimeMs > r.mtimeMs ? 'local' : 'remote';
  }
}

/**
 * Changed on both sides, different content. The winner's content takes the name on both sides; the
 * loser's is kept on both sides under the conflict name (keep-both, or a local loser), else it stays
 * as an older B2 version.
 */
export function conflictOp(
  l: Entry,
  r: Entry,
  s: StateRecord | undefined,
  o: BisyncPlannerOptions,
  sha1?: string,
): BisyncOp {
  const winner = conflictWinner(l, r, o);
  const loserSide = (winner === 'local') === (o.localIs === 'path1') ? 'path2' : 'path1';
  const loserPath =
    o.conflict === 'keep-both' || winner === 'remote' ? conflictName(l.path, loserSide, o.now) : undefined;
  const size = winner === 'local' ? l.size : r.size;
  const op: BisyncOp = {
    id: -1,
    op: 'conflict',
    path: l.path,
    reason: 'conflict',
    size,
    local: l,
    remote: r,
    winner,
    policy: o.conflict,
    changes: [],
  };
  const win = winner === 'local' ? uploadedRecord(l.path, l, sha1) : downloadedRecord(l.path, r);
  op.changes.push(change(l.path, s, win));
  if (loserPath !== undefined) {
    op.loserPath = loserPath;
    const h = sha1 ?? l.sha1;
    const lose: StateRecord =
      winner === 'local'
        ? {
            path: loserPath,
            local: localMeta({ size: r.size, mtimeMs: r.mtimeMs }),
            remote: remoteMeta(r, undefined, r.sha1),
          }
        : { path: loserPath, local: localMeta(l, h), remote: remoteMeta(l, undefined, h) };
    op.changes.push(change(loserPath, undefined, lose));
  }
  return op;
}
