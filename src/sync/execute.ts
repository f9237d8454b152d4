/** Execute one plan item: upload, download, server-side copy, or delete. */
import { mkdir, rmdir, unlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { B2Error } from '../core/errors.js';
import { copyFile, downloadToFile, uploadLocalFile, type Progress, type TransferTuning } from '../transfer/index.js';
import type { B2Api } from '../client/api.js';
import type { PlanItem } from './compare.js';
import { INFO_SRC_MTIME } from './remotes/b2.js';
import { FILE_AND_FOLDER, localPathFor } from './remotes/local-path.js';
import type { Side } from './sides.js';

export interface ExecContext {
  src: Side;
  dst: Side;
  tuning?: TransferTuning;
  hardDelete?: boolean;
  /** B2 → local: file names that are also folders on B2; their downloads fail, naming why. */
  conflicts?: ReadonlySet<string>;
  signal?: AbortSignal;
  onProgress?: (path: string, p: Progress) => void;
}

function b2(side: Side): Extract<Side, { kind: 'b2' }> {
  if (side.kind !== 'b2') throw new Error('expected a B2 side');
  return side;
}
function local(side: Side): Extract<Side, { kind: 'local' }> {
  if (side.kind !== 'local') throw new Error('expected a local side');
  return side;
}

function localTarget(root: string, path: string): string {
  const r = localPathFor(root, path);
  if ('problem' in r) throw new Error(r.problem);
  return r.path;
}

async function uploadEmpty(
  client: B2Api,
  bucketId: string,
  fileName: string,
  mtimeMs: number,
  signal?: AbortSignal,
): Promise<void> {
  await client.uploadFile({
    bucketId,
    fileName,
    body: Buffer.alloc(0),
    contentLength: 0,
    info: { [INFO_SRC_MTIME]: String(mtimeMs) },
    signal,
  });
}

type Source = NonNullable<PlanItem['src']>;

/** Transfer one item; resolves with the bytes moved. */
export async function transferItem(it: PlanItem, cx: ExecContext): Promise<number> {
  const src = it.src!;
  const path = it.action.path;
  switch (it.action.action) {
    case 'upload':
      return uploadItem(src, path, cx);
    case 'download':
      return downloadItem(src, path, cx);
    case 'copy':
      return copyItem(src, path, cx);
    default:
      throw new Error(`not a transfer: ${it.action.action}`);
  }
}

function progressOf(path: string, cx: ExecContext): (p: Progress) => void {
  return (p) => cx.onProgress?.(path, p);
}

/** Local → B2: a folder marker as an empty object, a file resumably, its mtime in src_last_modified_millis. */
async function uploadItem(src: Source, path: string, cx: ExecContext): Promise<number> {
  const d = b2(cx.dst);
  const fileName = d.prefix + path;
  if (src.kind === 'marker') {
    await uploadEmpty(d.client, d.bucketId, fileName, src.mtimeMs, cx.signal);
    return 0;
  }
  await uploadLocalFile(d.client, {
    bucketId: d.bucketId,
    fileName,
    localPath: src.localPath!,
    info: { [INFO_SRC_MTIME]: String(src.mtimeMs) },
    knownSize: src.size,
    knownMtimeMs: src.mtimeMs,
    // --checksum hashed it already: a large file gets large_file_sha1 for free.
    knownSha1: src.sha1 ? { sha1: src.sha1, size: src.size, mtimeMs: src.mtimeMs } : undefined,
    tuning: cx.tuning,
    resume: true,
    signal: cx.signal,
    onProgress: progressOf(path, cx),
  });
  return src.size;
}

/** B2 → local: a marker as a folder, a file verified into place with the source's mtime. */
async function downloadItem(src: Source, path: string, cx: ExecContext): Promise<number> {
  const d = local(cx.dst);
  const target = localTarget(d.root, path);
  if (cx.conflicts?.has(path)) throw new Error(FILE_AND_FOLDER);
  await mkdir(dirname(target), { recursive: true });
  if (src.kind === 'marker') return 0;
  const r = await downloadToFile(b2(cx.src).client, {
    source: { fileId: src.fileId! },
    localPath: target,
    tuning: cx.tuning,
    signal: cx.signal,
    onProgress: progressOf(path, cx),
  });
  const t = new Date(src.mtimeMs);
  await utimes(target, t, t);
  return r.bytes;
}

/** B2 → B2: a server-side copy (a marker as an empty object). */
async function copyItem(src: Source, path: string, cx: ExecContext): Promise<number> {
  b2(cx.src);
  const d = b2(cx.dst);
  const fileName = d.prefix + path;
  if (src.kind === 'marker') {
    await uploadEmpty(d.client, d.bucketId, fileName, src.mtimeMs, cx.signal);
    return 0;
  }
  // COPY keeps the source's info (src_last_modified_millis included). A source without that key
  // gets it from its upload time (REPLACE), so the copy compares equal by size and time next run.
  const replace = src.hasSrcMtime
    ? undefined
    : {
        contentType: src.contentType ?? 'b2/x-auto',
        info: { ...(src.info ?? {}), [INFO_SRC_MTIME]: String(src.mtimeMs) },
      };
  await copyFile(d.client, {
    sourceFileId: src.fileId!,
    sourceSize: src.size,
    destinationBucketId: d.bucketId,
    fileName,
    replace,
    tuning: cx.tuning,
    signal: cx.signal,
    onProgress: progressOf(path, cx),
  });
  return src.size;
}

/** Delete one destination item: hide (or delete every version) on B2, unlink locally. */
export async function deleteItem(it: PlanItem, cx: ExecContext): Promise<void> {
  const dst = it.dst!;
  if (cx.dst.kind === 'b2') {
    const d = cx.dst;
    const name = d.prefix + it.action.path;
    if (cx.hardDelete) {
      await deleteAllVersions(d.client, d.bucketId, name, cx.signal);
      return;
    }
    try {
      await d.client.hideFile(d.bucketId, name, { signal: cx.signal });
    } catch (e) {
      if (e instanceof B2Error && e.code === 'already_hidden') return;
      throw e;
    }
    return;
  }
  const root = cx.dst.root;
  const target = dst.localPath ?? localTarget(root, it.action.path);
  if (dst.kind === 'marker') {
    await rmdir(dirname(target)).catch(() => undefined);
    return;
  }
  await unlink(target);
}

/** Delete every version (hide markers included) of exactly this name. */
export async function deleteAllVersions(
  client: B2Api,
  bucketId: string,
  name: string,
  signal?: AbortSignal,
): Promise<number> {
  const ids: string[] = [];
  for await (const v of client.listFileVersions(bucketId, {
    prefix: name,
    startFileName: name,
    pageSize: 1000,
    signal,
  })) {
    if (v.fileName !== name) break;
    if (v.fileId) ids.push(v.fileId);
  }
  for (const id of ids) await client.deleteFileVersion(name, id, { signal });
  return ids.length;
}

/** After deletions on a local destination: remove directories left empty, up to (not including) the root. */
export async function pruneEmptyDirs(root: string, path: string): Promise<void> {
  let dir = dirname(path);
  while (dir.length > root.length && dir.startsWith(root)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
    dir = dirname(dir);
  }
}
