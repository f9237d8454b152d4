/**
 * Bisync's operations on the B2 side: upload (sync's transferItem), delete (hide, or every version
 * with --hard-delete), and rename (a server-side copy of the listed version — copy_part above the
 * large-copy cutoff — then the old name hidden). Before a name is hidden or deleted, one
 * b2_list_file_names call checks that its newest version is still the listed one; when it is not,
 * the name is left alone with a note (somebody changed it since the listing).
 */
import { B2Error } from '../../core/errors.js';
import { copyFile } from '../../transfer/index.js';
import { deleteAllVersions, transferItem } from '../execute.js';
import { INFO_SRC_MTIME } from '../remotes/b2.js';
import type { Entry } from '../types.js';
import type { BisyncOp } from './types.js';
import type { BisyncExec } from './exec-context.js';

type OpOf<K extends BisyncOp['op']> = Extract<BisyncOp, { op: K }>;

/** Upload a local file (entry.localPath) to `path` on B2; resolves with the bytes. */
export async function uploadFrom(cx: BisyncExec, local: Entry, path: string): Promise<number> {
  const src: Entry = local.path === path ? local : { ...local, path };
  const bytes = await transferItem({ action: { action: 'upload', path, reason: 'new', size: src.size }, src }, cx.up);
  cx.moved.up.files++;
  cx.moved.up.bytes += bytes;
  return bytes;
}

/** The fileId of the newest visible version of `name` (one list call), or undefined when none. */
export async function newestFileId(cx: BisyncExec, name: string): Promise<string | undefined> {
  const { client, bucketId } = cx.remote;
  for await (const fv of client.listFileNames(bucketId, {
    prefix: name,
    startFileName: name,
    pageSize: 1,
    signal: cx.signal,
  }))
    return fv.fileName === name ? (fv.fileId ?? undefined) : undefined;
  return undefined;
}

async function hide(cx: BisyncExec, name: string): Promise<void> {
  const { client, bucketId } = cx.remote;
  try {
    await client.hideFile(bucketId, name, { signal: cx.signal });
  } catch (e) {
    if (e instanceof B2Error && e.code === 'already_hidden') return;
    throw e;
  }
}

export async function deleteRemoteOp(cx: BisyncExec, op: OpOf<'delete-remote'>): Promise<boolean> {
  const name = cx.remote.prefix + op.path;
  const newest = await newestFileId(cx, name);
  if (newest === undefined) return true;
  if (newest !== op.remote.fileId) {
    cx.note(op.path, 'changed on B2 since the listing: not deleted (the next run brings the new version here)');
    return false;
  }
  if (cx.hardDelete) await deleteAllVersions(cx.remote.client, cx.remote.bucketId, name, cx.signal);
  else await hide(cx, name);
  return true;
}

/** Server-side copy of a listed B2 version to `path` (no bytes travel). */
export async function copyRemote(cx: BisyncExec, remote: Entry, path: string): Promise<void> {
  // COPY keeps the source's info; a source without src_last_modified_millis gets it from its upload
  // time, so the copy shows the same mtime as the listing did.
  const replace = remote.hasSrcMtime
    ? undefined
    : {
        contentType: remote.contentType ?? 'b2/x-auto',
        info: { ...(remote.info ?? {}), [INFO_SRC_MTIME]: String(remote.mtimeMs) },
      };
  await copyFile(cx.remote.client, {
    sourceFileId: remote.fileId!,
    sourceSize: remote.size,
    destinationBucketId: cx.remote.bucketId,
    fileName: cx.remote.prefix + path,
    replace,
    tuning: cx.tuning,
    signal: cx.signal,
  });
}

/** B2 side of a local rename: copy the listed version at `from` to `path`, then hide `from`. */
export async function renameRemoteOp(cx: BisyncExec, op: OpOf<'rename-remote'>): Promise<boolean> {
  await copyRemote(cx, op.remote, op.path);
  const fromName = cx.remote.prefix + op.from;
  const newest = await newestFileId(cx, fromName);
  if (newest === op.remote.fileId) await hide(cx, fromName);
  else if (newest !== undefined)
    cx.note(op.from, `changed on B2 since the listing: kept (copied to ${op.path} as listed)`);
  return true;
}
