/** versions: list the versions of one name; get one version; restore one (server-side copy to the same name). */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { B2Error, NotFoundError, UsageError } from '../../core/errors.js';
import { downloadToFile, restoreVersion } from '../../transfer/index.js';
import type { FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { formatBytes, formatTime, pad } from '../output/format.js';
import { formatRemote, shownRemote, type RemoteLocation } from '../remote-path.js';
import { printable } from '../output/printable.js';
import { statOrUndefined } from './local-files.js';
import { baseName, fileRecord, fileSha1, openTarget, type Target } from './remote-files.js';

function needFile(loc: RemoteLocation): void {
  if (!loc.bucket || !loc.path || loc.path.endsWith('/'))
    throw new UsageError(`versions needs a file name: b2://bucket/name, got "${formatRemote(loc)}"`);
}

async function versionsOfName(t: Target): Promise<FileVersion[]> {
  const out: FileVersion[] = [];
  for await (const f of t.client.listFileVersions(t.bucket.bucketId, {
    prefix: t.loc.path,
    startFileName: t.loc.path,
  })) {
    if (f.fileName !== t.loc.path) break;
    if (f.action === 'upload' || f.action === 'hide') out.push(f);
  }
  if (out.length === 0) throw new NotFoundError(`${formatRemote(t.loc)}: no versions of this name`);
  return out;
}

export async function versionsListAction(ctx: CliContext, loc: RemoteLocation): Promise<void> {
  needFile(loc);
  const t = await openTarget(ctx, loc);
  const versions = await versionsOfName(t);
  versions.forEach((f, i) => {
    const rec = {
      ...fileRecord(f, loc.bucket),
      current: i === 0 && f.action === 'upload',
      deleted: f.action === 'hide',
    };
    const state = f.action === 'hide' ? 'deleted' : i === 0 ? 'current' : 'old';
    ctx.out.result(
      rec,
      `${f.fileId}  ${formatTime(f.uploadTimestamp)} ${pad(f.action === 'hide' ? '-' : f.contentLength, 12)} ${(f.action === 'hide' ? '-' : (fileSha1(f) ?? '-')).padEnd(40)} ${state}`,
    );
  });
}

/** A failed b2_get_file_info of a version id the user gave: not found (exit 3) when B2 says so. */
export function versionNotFound(fileId: string, err: unknown): unknown {
  return err instanceof B2Error && err.notFound
    ? new NotFoundError(`file version ${fileId} not found`, { cause: err })
    : err;
}

async function versionById(t: Target, fileId: string): Promise<FileVersion> {
  let f: FileVersion;
  try {
    f = await t.client.getFileInfo(fileId);
  } catch (err) {
    throw versionNotFound(fileId, err);
  }
  if (f.bucketId !== t.bucket.bucketId || f.fileName !== t.loc.path)
    throw new NotFoundError(`file version ${fileId} is not a version of ${formatRemote(t.loc)}`);
  if (f.action !== 'upload') throw new UsageError(`file version ${fileId} is a ${f.action} marker, not content`);
  return f;
}

export async function versionsGetAction(
  ctx: CliContext,
  loc: RemoteLocation,
  fileId: string,
  localText: string,
  o: { dryRun: boolean; fsync?: boolean },
): Promise<void> {
  needFile(loc);
  const t = await openTarget(ctx, loc);
  const f = await versionById(t, fileId);
  const st = await statOrUndefined(localText);
  const local = st?.isDirectory() || /[\\/]$/.test(localText) ? join(localText, baseName(f.fileName)) : localText;
  if (o.dryRun) {
    ctx.out.result(
      { type: 'download', dryRun: true, bucket: loc.bucket, name: f.fileName, fileId, local, size: f.contentLength },
      `would download version ${fileId} -> ${printable(local)}`,
    );
    return;
  }
  await mkdir(dirname(local), { recursive: true });
  const r = await downloadToFile(t.client, {
    source: { fileId },
    localPath: local,
    tuning: o.fsync ? { fsync: true } : undefined,
    signal: ctx.abort.signal,
  });
  ctx.out.result(
    {
      type: 'download',
      bucket: loc.bucket,
      name: f.fileName,
      fileId,
      local,
      size: r.bytes,
      sha1Verified: r.sha1Verified,
    },
    `downloaded version ${fileId} of ${shownRemote(loc)} -> ${printable(local)} (${formatBytes(r.bytes)})`,
  );
}

export async function versionsRestoreAction(
  ctx: CliContext,
  loc: RemoteLocation,
  fileId: string,
  o: { dryRun: boolean },
): Promise<void> {
  needFile(loc);
  const t = await openTarget(ctx, loc);
  const f = await versionById(t, fileId);
  if (o.dryRun) {
    ctx.out.result(
      { type: 'restore', dryRun: true, bucket: loc.bucket, name: f.fileName, sourceFileId: fileId },
      `would restore version ${fileId} of ${shownRemote(loc)}`,
    );
    return;
  }
  const fv = await restoreVersion(t.client, {
    bucketId: t.bucket.bucketId,
    fileName: f.fileName,
    fileId,
    size: f.contentLength,
    signal: ctx.abort.signal,
  });
  ctx.out.result(
    {
      type: 'restore',
      bucket: loc.bucket,
      name: fv.fileName,
      sourceFileId: fileId,
      fileId: fv.fileId,
      size: fv.contentLength,
    },
    `restored ${shownRemote(loc)} from version ${fileId} (new version ${fv.fileId})`,
  );
}
