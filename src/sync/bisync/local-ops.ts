/**
 * Bisync's operations on the local side: download (to a new name or over the listed file), delete
 * and rename. Each first checks that the local file is still as listed (lstat: size, mtime, inode)
 * and leaves it alone with a note when the user changed it meanwhile; the next run sees the change.
 * Returns whether the operation was done (only then is it journaled).
 */
import { mkdir, rename, rmdir, unlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { downloadToFile } from '../../transfer/index.js';
import type { Entry } from '../types.js';
import type { BisyncOp } from './types.js';
import { vacate, type BisyncExec } from './exec-context.js';
import { exists, localState } from './local-names.js';

type OpOf<K extends BisyncOp['op']> = Extract<BisyncOp, { op: K }>;

/** Download a B2 version to a local path (parents made, mtime set); resolves with the bytes. */
export async function downloadTo(cx: BisyncExec, remote: Entry, path: string, target: string): Promise<number> {
  await mkdir(dirname(target), { recursive: true });
  const r = await downloadToFile(cx.remote.client, {
    source: { fileId: remote.fileId! },
    localPath: target,
    tuning: cx.tuning,
    signal: cx.signal,
    onProgress: (p) => cx.onProgress(path, p),
  });
  const t = new Date(remote.mtimeMs);
  await utimes(target, t, t);
  cx.moved.down.files++;
  cx.moved.down.bytes += r.bytes;
  return r.bytes;
}

/** The local path a new local name will have, or an Error naming why it cannot be made. */
export async function newLocalPath(cx: BisyncExec, path: string): Promise<string> {
  const t = await cx.names.target(path);
  if ('problem' in t) throw new Error(t.problem);
  return t.path;
}

/** An empty folder's marker: the folder is made; removed only while it is still empty (rmdir). */
async function markerOp(cx: BisyncExec, op: OpOf<'download'> | OpOf<'delete-local'>): Promise<boolean> {
  if (op.op === 'download') {
    const dir = dirname(await newLocalPath(cx, op.path));
    await mkdir(dir, { recursive: true });
    cx.markerDirs.add(dir);
    return true;
  }
  const dir = dirname(op.local.localPath!);
  try {
    await rmdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST')
      cx.note(op.path, 'the folder is no longer empty: kept (the next run sends what is in it)');
    else if (code !== 'ENOENT') throw e;
  }
  await cx.names.forget(op.local.localPath!);
  vacate(cx, dir);
  return true;
}

export async function downloadOp(cx: BisyncExec, op: OpOf<'download'>): Promise<boolean> {
  if (op.remote.kind === 'marker') return markerOp(cx, op);
  let target: string;
  if (op.local) {
    if ((await localState(op.local)) === 'changed') {
      cx.note(op.path, 'changed locally since the listing: not overwritten (the next run compares it again)');
      return false;
    }
    target = op.local.localPath!;
  } else {
    target = await newLocalPath(cx, op.path);
    if (await exists(target)) {
      cx.note(op.path, 'appeared locally since the listing: not overwritten (the next run compares it)');
      return false;
    }
  }
  await downloadTo(cx, op.remote, op.path, target);
  return true;
}

export async function deleteLocalOp(cx: BisyncExec, op: OpOf<'delete-local'>): Promise<boolean> {
  if (op.local.kind === 'marker') return markerOp(cx, op);
  const state = await localState(op.local);
  if (state === 'gone') return true;
  if (state === 'changed') {
    cx.note(op.path, 'changed locally since the listing: not deleted (the next run restores it on B2)');
    return false;
  }
  await unlink(op.local.localPath!);
  await cx.names.forget(op.local.localPath!);
  vacate(cx, op.local.localPath!);
  return true;
}

/** Move the local file at `from` to `path` (B2 renamed it): parents made, the old folder pruned later. */
export async function renameLocalOp(cx: BisyncExec, op: OpOf<'rename-local'>): Promise<boolean> {
  const state = await localState(op.local);
  if (state !== 'same') {
    cx.note(op.from, `${state === 'gone' ? 'gone' : 'changed'} locally since the listing: not renamed to ${op.path}`);
    return false;
  }
  const target = await newLocalPath(cx, op.path);
  if (await exists(target)) {
    cx.note(op.path, `appeared locally since the listing: ${op.from} not renamed onto it`);
    return false;
  }
  await moveLocal(cx, op.local.localPath!, target);
  return true;
}

/** rename(2) with the parents of the target made; the source's folder is pruned later if left empty. */
export async function moveLocal(cx: BisyncExec, from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
  await cx.names.forget(from);
  vacate(cx, from);
}
