/** put LOCAL REMOTE: a file, a folder (recursively), or `-` for stdin. */
import { basename } from 'node:path';
import { LimitError, NotFoundError, UsageError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { uploadLocalFile, uploadStream } from '../../transfer/index.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output/format.js';
import { printable } from '../output/printable.js';
import { Progress } from '../output/progress.js';
import { formatRemote, shownRemote, type RemoteLocation } from '../remote-path.js';
import { walkLocal, statOrUndefined, type LocalFile } from './local-files.js';
import { expandLocalGlob, isLocalGlob } from './local-glob.js';
import { fileSha1, folderPrefix, forEachItem, openTarget, type Target } from './remote-files.js';

interface PutItem {
  local: LocalFile;
  name: string;
}

export interface PutOptions {
  dryRun: boolean;
  contentType?: string;
  info?: Record<string, string>;
  transfers: number;
  partSize?: number;
  /** Files of this size and more go up as large files (default 200 MB). */
  uploadCutoff?: number;
}

/** Refuse, before any call, files B2 cannot take: over 10 TB, or needing more than 10,000 parts. */
export function checkUploadSize(name: string, size: number, partSize?: number): void {
  if (size > LIMITS.maxFileBytes) {
    throw new LimitError(
      `${name} is ${formatBytes(size)} (${size} bytes), over B2's 10 TB limit for one file: split it before uploading`,
    );
  }
  if (partSize !== undefined) {
    if (partSize < LIMITS.minPartBytes || partSize > LIMITS.maxPartBytes) {
      throw new LimitError(`--part-size must be from ${LIMITS.minPartBytes} bytes (5 MB) to 5 GB`);
    }
    const parts = Math.ceil(size / partSize);
    if (parts > LIMITS.maxParts) {
      const need = Math.ceil(size / LIMITS.maxParts);
      throw new LimitError(
        `${name} needs ${parts} parts of ${formatBytes(partSize)}; B2 allows ${LIMITS.maxParts}: use --part-size ${Math.ceil(need / 1e6)}MB or more (or leave it out)`,
      );
    }
  }
}

/** put - REMOTE: stream stdin into one file. */
async function putStdin(ctx: CliContext, dst: RemoteLocation, o: PutOptions, tuning?: Tuning): Promise<void> {
  if (dst.folder) throw new UsageError('with `-` (stdin) the destination must name a file, e.g. b2://bucket/name.txt');
  if (o.dryRun) {
    ctx.out.result(
      { type: 'upload', dryRun: true, local: '-', bucket: dst.bucket, name: dst.path },
      `would upload stdin -> ${shownRemote(dst)}`,
    );
    return;
  }
  const t = await openTarget(ctx, dst);
  const progress = new Progress(ctx.out);
  try {
    const fv = await uploadStream(t.client, {
      bucketId: t.bucket.bucketId,
      fileName: dst.path,
      stream: ctx.io.stdin as unknown as import('node:stream').Readable,
      contentType: o.contentType,
      info: o.info,
      tuning,
      signal: ctx.abort.signal,
      onProgress: (p) => progress.update('stdin', p.bytes, p.totalBytes),
    });
    progress.stop();
    ctx.out.result(
      {
        type: 'upload',
        local: '-',
        bucket: dst.bucket,
        name: fv.fileName,
        size: fv.contentLength,
        fileId: fv.fileId,
        sha1: fileSha1(fv),
      },
      `uploaded stdin -> ${shownRemote({ ...dst, path: fv.fileName })} (${formatBytes(fv.contentLength)})`,
    );
  } finally {
    progress.stop();
  }
}

/** The files put LOCAL names: a folder's files, one file, or a glob's matches the shell left unexpanded. */
async function localItems(ctx: CliContext, localText: string, dst: RemoteLocation): Promise<PutItem[]> {
  const st = await statOrUndefined(localText);
  if (!st && isLocalGlob(localText)) {
    const files = await expandLocalGlob(localText);
    if (files.length === 0) throw new NotFoundError(`${localText}: the pattern matches no local file`);
    if (!dst.folder && files.length > 1) {
      throw new UsageError(
        `${localText} matches ${files.length} files: the destination must be a folder (end it in /)`,
      );
    }
    if (!dst.folder) return [{ local: files[0], name: dst.path }];
    const prefix = folderPrefix(dst.path);
    return files.map((f) => ({ local: f, name: prefix + f.rel }));
  }
  if (!st) throw new NotFoundError(`${localText}: no such local file or folder`);
  if (st.isDirectory()) {
    const prefix = folderPrefix(dst.path);
    const files = await walkLocal(localText, (p, why) => ctx.out.warn(`${printable(p)}: ${why}`));
    return files.map((f) => ({ local: f, name: prefix + f.rel }));
  }
  if (st.isFile()) {
    const name = dst.folder ? folderPrefix(dst.path) + basename(localText) : dst.path;
    return [{ local: { path: localText, rel: basename(localText), size: st.size, mtimeMs: st.mtimeMs }, name }];
  }
  throw new UsageError(`${localText} is not a regular file or folder`);
}

type Tuning = { partSize?: number; largeFileCutoff?: number };

export async function putAction(ctx: CliContext, localText: string, dst: RemoteLocation, o: PutOptions): Promise<void> {
  if (!dst.bucket) throw new UsageError(`"${formatRemote(dst)}" names no bucket: use b2://bucket/path`);
  const tuning: Tuning | undefined =
    o.partSize || o.uploadCutoff !== undefined ? { partSize: o.partSize, largeFileCutoff: o.uploadCutoff } : undefined;
  if (localText === '-') return putStdin(ctx, dst, o, tuning);
  const items = await localItems(ctx, localText, dst);
  for (const it of items) if (!it.local.problem) checkUploadSize(it.local.path, it.local.size, o.partSize);
  if (o.dryRun) return printDryRun(ctx, items, dst);
  const t = await openTarget(ctx, dst);
  const progress = new Progress(
    ctx.out,
    items.reduce((n, it) => n + it.local.size, 0),
  );
  try {
    await forEachItem(
      ctx,
      items,
      o.transfers,
      (it) => it.local.path,
      (it) => uploadOne(ctx, it, { t, o, tuning, progress }),
    );
  } finally {
    progress.stop();
  }
}

/** --dry-run: the line each upload would print, and the problem of each file that cannot be read. */
function printDryRun(ctx: CliContext, items: PutItem[], dst: RemoteLocation): void {
  for (const it of items) {
    if (it.local.problem) {
      ctx.out.failed(it.local.path, it.local.problem);
      continue;
    }
    ctx.out.result(
      { type: 'upload', dryRun: true, local: it.local.path, bucket: dst.bucket, name: it.name, size: it.local.size },
      `would upload ${printable(it.local.path)} -> ${shownRemote({ ...dst, path: it.name })} (${formatBytes(it.local.size)})`,
    );
  }
}

/** One file up (resumable), its progress finished either way, its result line printed. */
async function uploadOne(
  ctx: CliContext,
  it: PutItem,
  at: { t: Target; o: PutOptions; tuning?: Tuning; progress: Progress },
): Promise<void> {
  const { t, o, progress } = at;
  const dst = t.loc;
  if (it.local.problem) throw new Error(it.local.problem);
  try {
    const fv = await uploadLocalFile(t.client, {
      bucketId: t.bucket.bucketId,
      fileName: it.name,
      localPath: it.local.path,
      contentType: o.contentType,
      info: o.info,
      tuning: at.tuning,
      resume: true,
      signal: ctx.abort.signal,
      onProgress: (p) => progress.update(it.name, p.bytes, p.totalBytes ?? it.local.size),
    });
    progress.finish(it.name, fv.contentLength);
    ctx.out.result(
      {
        type: 'upload',
        local: it.local.path,
        bucket: dst.bucket,
        name: fv.fileName,
        size: fv.contentLength,
        fileId: fv.fileId,
        sha1: fileSha1(fv),
      },
      ctx.out.quiet
        ? undefined
        : `uploaded ${printable(it.local.path)} -> ${shownRemote({ ...dst, path: fv.fileName })} (${formatBytes(fv.contentLength)})`,
    );
  } catch (err) {
    progress.finish(it.name, 0);
    throw err;
  }
}
