/**
 * A conflict (both sides changed, different content), in the ordered steps of docs/bisync.md. Each
 * step leaves both sides in a state the next run plans correctly from, so a crash between steps
 * loses nothing:
 * - loser local (any policy whose winner is B2): rename L:path → L:loserPath; upload L:loserPath →
 *   R:loserPath; download R:path → L:path.
 * - loser on B2, keep-both: copy R:path (the listed version) → R:loserPath; download it to
 *   L:loserPath; upload L:path → R:path.
 * - loser on B2, another policy: upload L:path → R:path (the loser stays as an older B2 version).
 */
import type { BisyncOp } from './types.js';
import type { BisyncExec } from './exec-context.js';
import { exists, localState } from './local-names.js';
import { downloadTo, moveLocal, newLocalPath } from './local-ops.js';
import { copyRemote, uploadFrom } from './remote-ops.js';

type ConflictOp = Extract<BisyncOp, { op: 'conflict' }>;

export async function conflictOp(cx: BisyncExec, op: ConflictOp): Promise<boolean> {
  if (op.winner === 'remote') return localLoses(cx, op);
  return remoteLoses(cx, op);
}

async function localLoses(cx: BisyncExec, op: ConflictOp): Promise<boolean> {
  const loserPath = op.loserPath;
  if (!loserPath) throw new Error('conflict: the local side lost but no name was planned for its copy');
  if ((await localState(op.local)) !== 'same') {
    cx.note(op.path, 'changed locally since the listing: conflict left for the next run');
    return false;
  }
  const loserLocal = await newLocalPath(cx, loserPath);
  if (await exists(loserLocal)) throw new Error(`conflict: ${loserPath} exists locally already`);
  const original = op.local.localPath!;
  await moveLocal(cx, original, loserLocal);
  await uploadFrom(cx, { ...op.local, path: loserPath, localPath: loserLocal }, loserPath);
  await downloadTo(cx, op.remote, op.path, original);
  return true;
}

async function remoteLoses(cx: BisyncExec, op: ConflictOp): Promise<boolean> {
  if (op.loserPath) {
    const loserLocal = await newLocalPath(cx, op.loserPath);
    if (await exists(loserLocal)) throw new Error(`conflict: ${op.loserPath} exists locally already`);
    await copyRemote(cx, op.remote, op.loserPath);
    await downloadTo(cx, op.remote, op.loserPath, loserLocal);
  }
  await uploadFrom(cx, op.local, op.path);
  return true;
}
