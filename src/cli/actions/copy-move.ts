/** cp and mv between remote paths: server-side copies (never streaming bytes); mv then removes the source name. */
import { UsageError } from '../../core/errors.js';
import { copyFile } from '../../transfer/index.js';
import type { B2Api } from '../../client/api.js';
import type { FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output/format.js';
import { formatRemote, shownRemote, type RemoteLocation } from '../remote-path.js';
import {
  baseName,
  fileSha1,
  folderPrefix,
  forEachItem,
  openTarget,
  resolveFiles,
  type Target,
} from './remote-files.js';

export interface CopyMoveOptions {
  dryRun: boolean;
  transfers: number;
}

interface CopyItem {
  file: FileVersion;
  name: string;
}

type Resolved = Awaited<ReturnType<typeof resolveFiles>>;

export async function copyMoveAction(
  ctx: CliContext,
  mode: 'cp' | 'mv',
  src: RemoteLocation,
  dst: RemoteLocation,
  o: CopyMoveOptions,
): Promise<void> {
  if (!src.bucket || !src.path)
    throw new UsageError(`${mode} needs a source file or folder inside a bucket, got "${formatRemote(src)}"`);
  if (!dst.bucket) throw new UsageError(`${mode} needs a destination bucket, got "${formatRemote(dst)}"`);
  const s = await openTarget(ctx, src);
  const d = await openTarget(ctx, dst);
  const items = destinationNames(await resolveFiles(s), dst);
  refuseSameFile(items, s, d);
  await forEachItem(
    ctx,
    items,
    o.transfers,
    (it) => formatRemote({ ...src, path: it.file.fileName }),
    (it) => copyOne(ctx, mode, { s, d, dryRun: o.dryRun }, it),
  );
}

/** Each source file with the name it gets at the destination (a folder keeps its relative layout). */
function destinationNames(what: Resolved, dst: RemoteLocation): CopyItem[] {
  if (what.kind === 'file') {
    const name = dst.folder ? folderPrefix(dst.path) + baseName(what.file.fileName) : dst.path;
    return [{ file: what.file, name }];
  }
  const prefix = folderPrefix(dst.path);
  return what.files.map((f) => ({ file: f, name: prefix + f.fileName.slice(what.prefix.length) }));
}

/** A copy onto itself is a usage error, found before anything is copied. */
function refuseSameFile(items: CopyItem[], s: Target, d: Target): void {
  for (const it of items) {
    if (s.bucket.bucketId === d.bucket.bucketId && it.name === it.file.fileName) {
      throw new UsageError(
        `${formatRemote({ ...s.loc, path: it.file.fileName })}: source and destination are the same file`,
      );
    }
  }
}

/** One server-side copy (or, with --dry-run, the line saying it would happen); mv then removes the source. */
async function copyOne(
  ctx: CliContext,
  mode: 'cp' | 'mv',
  at: { s: Target; d: Target; dryRun: boolean },
  it: CopyItem,
): Promise<void> {
  const { s, d } = at;
  const verb = mode === 'cp' ? 'copy' : 'move';
  const from = shownRemote({ ...s.loc, path: it.file.fileName });
  const to = shownRemote({ ...d.loc, path: it.name });
  if (at.dryRun) {
    ctx.out.result(
      { type: verb, dryRun: true, from, to, size: it.file.contentLength },
      `would ${verb} ${from} -> ${to}`,
    );
    return;
  }
  const fv = await copyFile(d.client, {
    sourceFileId: it.file.fileId!,
    sourceSize: it.file.contentLength,
    destinationBucketId: d.bucket.bucketId,
    fileName: it.name,
    signal: ctx.abort.signal,
  });
  if (mode === 'mv') await removeMovedSource(s.client, s.bucket.bucketId, it.file);
  ctx.out.result(
    {
      type: verb,
      from,
      to,
      size: fv.contentLength,
      fileId: fv.fileId,
      sha1: fileSha1(fv),
      sourceFileId: it.file.fileId,
    },
    ctx.out.quiet
      ? undefined
      : `${mode === 'cp' ? 'copied' : 'moved'} ${from} -> ${to} (${formatBytes(fv.contentLength)})`,
  );
}

/**
 * After the copy, the source name must be gone, not fall back to an older version: when older
 * versions exist the name is hidden first (they stay, as B2 keeps history), then the moved version
 * is deleted so its bytes are not stored twice.
 */
async function removeMovedSource(client: B2Api, bucketId: string, file: FileVersion): Promise<void> {
  let hasOlder = false;
  for await (const v of client.listFileVersions(bucketId, {
    prefix: file.fileName,
    startFileName: file.fileName,
    startFileId: file.fileId!,
    pageSize: 2,
  })) {
    if (v.fileId !== file.fileId) {
      hasOlder = v.fileName === file.fileName;
      break;
    }
  }
  if (hasOlder) await client.hideFile(bucketId, file.fileName);
  await client.deleteFileVersion(file.fileName, file.fileId!);
}
