/** get REMOTE LOCAL (a file, a version by id, or every file under a prefix) and cat REMOTE. */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { B2Error, NotFoundError, UsageError } from '../../core/errors.js';
import { FILE_AND_FOLDER, FileFolderConflicts, localPathFor } from '../../sync/remotes/local-path.js';
import type { FileVersion } from '../../wire/types.js';
import { downloadRange, downloadToFile, type DownloadSource } from '../../transfer/index.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output/format.js';
import { printable } from '../output/printable.js';
import { Progress } from '../output/progress.js';
import { formatRemote, shownRemote, type RemoteLocation } from '../remote-path.js';
import { statOrUndefined } from './local-files.js';
import { baseName, forEachItem, openTarget, resolveFiles, type Target } from './remote-files.js';
import { resolveFilesAt } from './list-at.js';
import { versionNotFound } from './versions.js';

export interface GetOptions {
  dryRun: boolean;
  versionId?: string;
  /** --at: the file or folder as it was at this moment (ms). */
  atMs?: number;
  transfers: number;
  /** Flush each file to disk before it is renamed into place (TransferTuning.fsync). */
  fsync?: boolean;
  /** Write with O_DIRECT past the page cache (TransferTuning.directIo); off by default. */
  directIo?: boolean;
}

function notFound(loc: RemoteLocation, err: unknown): unknown {
  if (err instanceof B2Error && err.notFound) {
    return new NotFoundError(`${formatRemote(loc)}: no such file (${err.message || err.code})`, { cause: err });
  }
  return err;
}

interface GetItem {
  source: DownloadSource;
  name: string;
  size: number;
  local: string;
  /** Why this file is not written (a B2 name that cannot be a local path): a failed item. */
  problem?: string;
}

export async function getAction(ctx: CliContext, src: RemoteLocation, localText: string, o: GetOptions): Promise<void> {
  if (!src.bucket) throw new UsageError(`"${formatRemote(src)}" names no bucket: use b2://bucket/path`);
  const t = await openTarget(ctx, src);
  const items = await getItems(t, src, localText, o);
  if (o.dryRun) {
    for (const it of items) {
      if (it.problem) {
        ctx.out.failed(formatRemote({ ...src, path: it.name }), it.problem);
        continue;
      }
      ctx.out.result(
        { type: 'download', dryRun: true, bucket: src.bucket, name: it.name, local: it.local, size: it.size },
        `would download ${shownRemote({ ...src, path: it.name })} -> ${printable(it.local)} (${formatBytes(it.size)})`,
      );
    }
    return;
  }
  await downloadItems(ctx, { t, src, o }, items);
}

/** What `get` downloads: one version, one file, or every file under a folder prefix, each with its local path. */
async function getItems(t: Target, src: RemoteLocation, localText: string, o: GetOptions): Promise<GetItem[]> {
  const localStat = await statOrUndefined(localText).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTDIR') throw err;
    throw new UsageError(`${localText}: a file stands where a folder is needed on the way there`);
  });
  const localIsDir = Boolean(localStat?.isDirectory()) || /[\\/]$/.test(localText);
  let items: GetItem[];
  if (o.versionId && o.atMs !== undefined) throw new UsageError('--at and --version-id cannot be used together');
  if (o.versionId) {
    let info;
    try {
      info = await t.client.getFileInfo(o.versionId);
    } catch (err) {
      throw versionNotFound(o.versionId, err);
    }
    if (info.bucketId !== t.bucket.bucketId || (src.path && info.fileName !== src.path)) {
      throw new NotFoundError(`file version ${o.versionId} is not a version of ${formatRemote(src)}`);
    }
    if (info.action !== 'upload')
      throw new UsageError(`file version ${o.versionId} is a ${info.action} marker, not content`);
    const local = localIsDir ? join(localText, baseName(info.fileName)) : localText;
    items = [{ source: { fileId: o.versionId }, name: info.fileName, size: info.contentLength, local }];
  } else {
    const what = o.atMs === undefined ? await resolveFiles(t) : await resolveFilesAt(t, o.atMs);
    if (what.kind === 'file') {
      const local = localIsDir ? join(localText, baseName(what.file.fileName)) : localText;
      items = [
        {
          source:
            o.atMs === undefined
              ? { bucketName: src.bucket, fileName: what.file.fileName }
              : { fileId: what.file.fileId! },
          name: what.file.fileName,
          size: what.file.contentLength,
          local,
        },
      ];
    } else {
      if (localStat && !localStat.isDirectory())
        throw new UsageError(`${localText} is a file; a folder is needed to download ${formatRemote(src)}`);
      items = folderItems(src.bucket, localText, what.prefix, what.files, o.atMs !== undefined);
    }
  }

  return items;
}

/** The files under a prefix, each with its local path or the reason it has none. */
function folderItems(
  bucketName: string,
  localText: string,
  prefix: string,
  files: FileVersion[],
  byId: boolean,
): GetItem[] {
  const conflicts = new FileFolderConflicts();
  for (const f of files) conflicts.add(f.fileName);
  return files.map((f) => {
    const source: DownloadSource = byId ? { fileId: f.fileId! } : { bucketName, fileName: f.fileName };
    const it = { source, name: f.fileName, size: f.contentLength };
    const where = localPathFor(localText, f.fileName.slice(prefix.length));
    if ('problem' in where) return { ...it, local: '', problem: where.problem };
    if (conflicts.files.has(f.fileName)) return { ...it, local: where.path, problem: FILE_AND_FOLDER };
    return { ...it, local: where.path };
  });
}

async function downloadItems(
  ctx: CliContext,
  job: { t: Target; src: RemoteLocation; o: GetOptions },
  items: GetItem[],
): Promise<void> {
  const { t, src, o } = job;
  const progress = new Progress(
    ctx.out,
    items.reduce((n, it) => n + it.size, 0),
  );
  try {
    await forEachItem(
      ctx,
      items,
      o.transfers,
      (it) => formatRemote({ ...src, path: it.name }),
      async (it) => {
        if (it.problem) throw new Error(it.problem);
        try {
          await mkdir(dirname(it.local), { recursive: true });
          const r = await downloadToFile(t.client, {
            source: it.source,
            localPath: it.local,
            tuning: o.fsync || o.directIo ? { fsync: Boolean(o.fsync), directIo: Boolean(o.directIo) } : undefined,
            signal: ctx.abort.signal,
            onProgress: (p) => progress.update(it.name, p.bytes, p.totalBytes ?? it.size),
          });
          progress.finish(it.name, r.bytes);
          ctx.out.result(
            {
              type: 'download',
              bucket: src.bucket,
              name: it.name,
              local: it.local,
              size: r.bytes,
              fileId: r.fileVersion.fileId,
              sha1Verified: r.sha1Verified,
              directIo: r.directIo,
            },
            ctx.out.quiet
              ? undefined
              : `downloaded ${shownRemote({ ...src, path: it.name })} -> ${printable(it.local)} (${formatBytes(r.bytes)})`,
          );
        } catch (err) {
          progress.finish(it.name, 0);
          throw notFound({ ...src, path: it.name }, err);
        }
      },
    );
  } finally {
    progress.stop();
  }
}

export async function catAction(
  ctx: CliContext,
  src: RemoteLocation,
  o: { offset?: number; count?: number; versionId?: string },
): Promise<void> {
  if (!src.bucket || !src.path || src.path.endsWith('/'))
    throw new UsageError(`cat needs a file: b2://bucket/name, got "${formatRemote(src)}"`);
  const t = await openTarget(ctx, src);
  const source: DownloadSource = o.versionId ? { fileId: o.versionId } : { bucketName: src.bucket, fileName: src.path };
  if (o.count === 0) return;
  let stream;
  try {
    stream = await downloadRange(t.client, { source, offset: o.offset, count: o.count, signal: ctx.abort.signal });
  } catch (err) {
    if (err instanceof B2Error && err.status === 416)
      throw new UsageError(`--offset ${o.offset} is past the end of ${formatRemote(src)}`);
    throw notFound(src, err);
  }
  await pipeline(stream, ctx.io.stdout, { end: false });
}
