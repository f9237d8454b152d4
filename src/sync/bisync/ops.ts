/**
 * Building bisync's operations with their state changes (what the saved state becomes once each
 * succeeds). Op ids are given by the planner (OpIds), in the order operations are emitted.
 */
import type { Entry } from '../types.js';
import { conflictName } from './conflict-name.js';
import { afterDownload, afterUpload, localMeta, remoteMeta } from './rules.js';
import type { BisyncOp, BisyncPlannerOptions, BisyncReason, SideName, StateRecord, Where } from './types.js';

export class OpIds {
  next = 0;
  take(): number {
    return this.next++;
  }
}

type Built = BisyncOp;

export function uploadOp(id: number, l: Entry, reason: BisyncReason, s?: StateRecord, r?: Entry): Built {
  const path = l.path;
  return {
    id,
    op: 'upload',
    path,
    reason,
    size: l.size,
    local: l,
    remote: r,
    changes: [{ path, before: s, after: afterUpload(path, l) }],
  };
}

export function downloadOp(id: number, r: Entry, reason: BisyncReason, s?: StateRecord, l?: Entry): Built {
  const path = r.path;
  return {
    id,
    op: 'download',
    path,
    reason,
    size: r.size,
    remote: r,
    local: l,
    changes: [{ path, before: s, after: afterDownload(path, r) }],
  };
}

export function deleteRemoteOp(id: number, s: StateRecord, r: Entry): Built {
  return {
    id,
    op: 'delete-remote',
    path: s.path,
    reason: 'deleted',
    size: r.size,
    remote: r,
    changes: [{ path: s.path, before: s }],
  };
}

export function deleteLocalOp(id: number, s: StateRecord, l: Entry): Built {
  return {
    id,
    op: 'delete-local',
    path: s.path,
    reason: 'deleted',
    size: l.size,
    local: l,
    changes: [{ path: s.path, before: s }],
  };
}

export function settleOp(id: number, l: Entry, r: Entry, s?: StateRecord): Built {
  const path = l.path;
  const after: StateRecord = { path, local: localMeta(l), remote: remoteMeta(r) };
  return {
    id,
    op: 'settle',
    path,
    reason: 'same content',
    size: l.size,
    local: l,
    remote: r,
    changes: [{ path, before: s, after }],
  };
}

/** The local file moved from s.path to l.path: B2 copies its version there and hides the old name. */
export function renameRemoteOp(id: number, s: StateRecord, r: Entry, l: Entry): Built {
  const remote = {
    size: r.size,
    mtimeMs: r.mtimeMs,
    ...((r.sha1 ?? s.remote.sha1) ? { sha1: r.sha1 ?? s.remote.sha1 } : {}),
  };
  const after: StateRecord = { path: l.path, local: localMeta(l, s.local), remote };
  return {
    id,
    op: 'rename-remote',
    path: l.path,
    from: s.path,
    reason: 'renamed',
    size: l.size,
    remote: r,
    local: l,
    changes: [
      { path: s.path, before: s },
      { path: l.path, after },
    ],
  };
}

/** B2 moved the version from s.path to r.path: the local file follows (rename keeps inode and mtime). */
export function renameLocalOp(id: number, s: StateRecord, l: Entry, r: Entry): Built {
  const after: StateRecord = { path: r.path, local: localMeta(l, s.local), remote: remoteMeta(r, s.remote) };
  return {
    id,
    op: 'rename-local',
    path: r.path,
    from: s.path,
    reason: 'renamed',
    size: r.size,
    local: l,
    remote: r,
    changes: [
      { path: s.path, before: s },
      { path: r.path, after },
    ],
  };
}

function other(side: SideName): SideName {
  return side === 'path1' ? 'path2' : 'path1';
}

/** Which side keeps the name under the policy (ties go to path1). */
export function conflictWinner(o: BisyncPlannerOptions, l: Entry, r: Entry): Where {
  const path1: Where = o.localIs === 'path1' ? 'local' : 'remote';
  const path2: Where = path1 === 'local' ? 'remote' : 'local';
  const newer: Where = l.mtimeMs > r.mtimeMs ? 'local' : r.mtimeMs > l.mtimeMs ? 'remote' : path1;
  const older: Where = l.mtimeMs < r.mtimeMs ? 'local' : r.mtimeMs < l.mtimeMs ? 'remote' : path1;
  switch (o.conflict) {
    case 'keep-both':
    case 'newer':
      return newer;
    case 'older':
      return older;
    case 'path1':
      return path1;
    case 'path2':
      return path2;
  }
}

export function conflictOp(id: number, o: BisyncPlannerOptions, l: Entry, r: Entry, s?: StateRecord): Built {
  const path = l.path;
  const winner = conflictWinner(o, l, r);
  const loserSide: SideName = winner === 'local' ? other(o.localIs) : o.localIs;
  const keepLoser = o.conflict === 'keep-both' || winner === 'remote';
  const loserPath = keepLoser ? conflictName(path, o.now, loserSide) : undefined;
  const changes: BisyncOp['changes'] = [
    { path, before: s, after: winner === 'local' ? afterUpload(path, l) : afterDownload(path, r) },
  ];
  if (loserPath)
    changes.push({
      path: loserPath,
      after: winner === 'local' ? afterDownload(loserPath, r) : afterUpload(loserPath, l),
    });
  return {
    id,
    op: 'conflict',
    path,
    reason: 'conflict',
    size: l.size,
    local: l,
    remote: r,
    winner,
    loserPath,
    policy: o.conflict,
    changes,
  };
}
