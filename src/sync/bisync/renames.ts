/**
 * Rename detection, after the march: a file gone from one side (its other side unchanged) and a new
 * file on that side (absent on the other) with the same content is a rename, carried out on the
 * other side without moving bytes. Candidates are held in memory (bounded by the number of changes);
 * each pairs at most once; the unpaired get their normal operations.
 */
import { compareB2Order } from '../march.js';
import type { Entry } from '../types.js';
import { mapLimit } from './in-order.js';
import { deleteLocalOp, deleteRemoteOp, downloadOp, renameLocalOp, renameRemoteOp, uploadOp } from './ops.js';
import type { Ruling } from './rules.js';
import type { BisyncOp, StateRecord } from './types.js';

type Gone = { s: StateRecord; e: Entry; used: boolean };

const inodeKey = (ino: number, size: number, mtimeMs: number) => `${ino}:${size}:${mtimeMs}`;

/** First unused candidate under `key`, marked used. */
function take(map: Map<string, Gone[]>, key: string, ok: (g: Gone) => boolean = () => true): Gone | undefined {
  const list = map.get(key);
  const g = list?.find((x) => !x.used && ok(x));
  if (g) g.used = true;
  return g;
}

function push(map: Map<string, Gone[]>, key: string, g: Gone): void {
  const list = map.get(key);
  if (list) list.push(g);
  else map.set(key, [g]);
}

const stateSha1 = (s: StateRecord) => s.local.sha1 ?? s.remote.sha1;

export class RenameCandidates {
  private readonly goneLocal: Gone[] = [];
  private readonly newLocal: Entry[] = [];
  private readonly goneRemote: Gone[] = [];
  private readonly newRemote: Entry[] = [];

  /** Take a candidate ruling; false when the ruling is not one. */
  add(x: Ruling): boolean {
    if (x.kind === 'gone-local') this.goneLocal.push({ s: x.s, e: x.r, used: false });
    else if (x.kind === 'gone-remote') this.goneRemote.push({ s: x.s, e: x.l, used: false });
    else if (x.kind === 'new-local') this.newLocal.push(x.l);
    else if (x.kind === 'new-remote') this.newRemote.push(x.r);
    else return false;
    return true;
  }

  /** Pair the candidates; every candidate's operation (renames and the unpaired ones' own), sorted by path. */
  async resolve(hashLocal: (e: Entry) => Promise<string | undefined>, checkers: number): Promise<BisyncOp[]> {
    const ops = await this.localSide(hashLocal, checkers);
    this.remoteSide(ops);
    for (const g of this.goneLocal) if (!g.used) ops.push(deleteRemoteOp(g.e, g.s));
    for (const g of this.goneRemote) if (!g.used) ops.push(deleteLocalOp(g.e, g.s));
    return ops.sort((a, b) => compareB2Order(a.path, b.path));
  }

  /** Local renames (→ rename-remote): by inode, size and mtime, else by SHA-1 when the sizes match. */
  private async localSide(hashLocal: (e: Entry) => Promise<string | undefined>, checkers: number): Promise<BisyncOp[]> {
    const ops: BisyncOp[] = [];
    const byInode = new Map<string, Gone[]>();
    const bySize = new Map<string, Gone[]>();
    for (const g of this.goneLocal) {
      const { local } = g.s;
      if (local.ino !== undefined) push(byInode, inodeKey(local.ino, local.size, local.mtimeMs), g);
      if (stateSha1(g.s) !== undefined) push(bySize, String(local.size), g);
    }
    const toHash: Entry[] = [];
    for (const l of this.newLocal) {
      const g = l.ino !== undefined ? take(byInode, inodeKey(l.ino, l.size, l.mtimeMs)) : undefined;
      if (g) ops.push(renameRemoteOp(g.s, g.e, l));
      else if (bySize.has(String(l.size))) toHash.push(l);
      else ops.push(uploadOp(l, undefined, undefined, 'new'));
    }
    const hashes = await mapLimit(toHash, checkers, async (l) => l.sha1 ?? (await hashLocal(l)));
    toHash.forEach((l, i) => {
      const h = hashes[i];
      const g = h === undefined ? undefined : take(bySize, String(l.size), (x) => stateSha1(x.s) === h);
      ops.push(g ? renameRemoteOp(g.s, g.e, l, h) : uploadOp(l, undefined, undefined, 'new', h));
    });
    return ops;
  }

  /** Remote renames (→ rename-local): same size and SHA-1. */
  private remoteSide(ops: BisyncOp[]): void {
    const bySha = new Map<string, Gone[]>();
    for (const g of this.goneRemote) {
      const h = g.s.remote.sha1 ?? g.s.local.sha1;
      if (h !== undefined) push(bySha, `${g.s.remote.size}:${h}`, g);
    }
    for (const r of this.newRemote) {
      const g = r.sha1 !== undefined ? take(bySha, `${r.size}:${r.sha1}`) : undefined;
      ops.push(g ? renameLocalOp(g.s, g.e, r) : downloadOp(r, undefined, undefined, 'new'));
    }
  }
}
