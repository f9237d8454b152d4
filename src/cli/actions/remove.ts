/** rm (hide, or delete every version), mkdir (bucket or .bzEmpty folder), rmdir (empty folder, or everything after confirmation). */
import { NotFoundError, UsageError } from '../../core/errors.js';
import type { BucketType, FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { confirm } from '../prompt.js';
import { formatRemote, shownRemote, type RemoteLocation } from '../remote-path.js';
import { FOLDER_PLACEHOLDER, findFile, folderPrefix, forEachItem, openTarget, type Target } from './remote-files.js';

export interface RmOptions {
  recursive: boolean;
  versions: boolean;
  dryRun: boolean;
  transfers: number;
}

/** Every version (hide markers included) of exactly `name`, or of every name under `prefix`. */
async function versionsOf(t: Target, p: { name?: string; prefix?: string }): Promise<FileVersion[]> {
  const out: FileVersion[] = [];
  const prefix = p.name ?? p.prefix ?? '';
  const opts = p.name ? { prefix, startFileName: p.name } : { prefix: prefix || undefined };
  for await (const f of t.client.listFileVersions(t.bucket.bucketId, opts)) {
    if (p.name && f.fileName !== p.name) break;
    if (f.action === 'folder') continue;
    out.push(f);
  }
  return out;
}

async function deleteVersions(
  ctx: CliContext,
  t: Target,
  versions: FileVersion[],
  o: { dryRun: boolean; transfers: number },
): Promise<void> {
  await forEachItem(
    ctx,
    versions,
    o.transfers,
    (f) => `${formatRemote({ ...t.loc, path: f.fileName })} (${f.fileId})`,
    async (f) => {
      const where = shownRemote({ ...t.loc, path: f.fileName });
      const rec = { type: 'delete', bucket: t.loc.bucket, name: f.fileName, fileId: f.fileId, action: f.action };
      if (o.dryRun) {
        ctx.out.result({ ...rec, dryRun: true }, `would delete ${where} version ${f.fileId}`);
        return;
      }
      if (f.action === 'start') await t.client.cancelLargeFile(f.fileId!);
      else await t.client.deleteFileVersion(f.fileName, f.fileId!);
      ctx.out.result(rec, ctx.out.quiet ? undefined : `deleted ${where} version ${f.fileId}`);
    },
  );
}

export async function rmAction(ctx: CliContext, loc: RemoteLocation, o: RmOptions): Promise<void> {
  if (!loc.bucket || (!loc.path && !o.recursive)) {
    throw new UsageError(
      `rm needs a file inside a bucket (or a folder with -R), got "${formatRemote(loc)}"; to delete a bucket use \`b2sync bucket delete\``,
    );
  }
  const t = await openTarget(ctx, loc);
  const isFile = loc.path !== '' && !loc.path.endsWith('/');
  if (o.versions) {
    let versions = isFile ? await versionsOf(t, { name: loc.path }) : [];
    if (versions.length === 0) {
      if (!o.recursive) {
        const under = await versionsOf(t, { prefix: folderPrefix(loc.path) });
        if (under.length)
          throw new UsageError(`${formatRemote(loc)} is a folder: add -R to delete everything under it`);
        throw new NotFoundError(`${formatRemote(loc)}: no such file`);
      }
      versions = await versionsOf(t, { prefix: folderPrefix(loc.path) });
      if (versions.length === 0) throw new NotFoundError(`${formatRemote(loc)}: no such file or folder`);
    }
    await deleteVersions(ctx, t, versions, o);
    return;
  }
  let names: string[] = [];
  const single = isFile ? await findFile(t.client, t.bucket.bucketId, loc.path) : undefined;
  if (single) names = [single.fileName];
  else {
    const prefix = folderPrefix(loc.path);
    for await (const f of t.client.listFileNames(t.bucket.bucketId, { prefix: prefix || undefined }))
      if (f.action === 'upload') names.push(f.fileName);
    if (names.length === 0) throw new NotFoundError(`${formatRemote(loc)}: no such file or folder`);
    if (!o.recursive) throw new UsageError(`${formatRemote(loc)} is a folder: add -R to remove every file under it`);
  }
  await forEachItem(
    ctx,
    names,
    o.transfers,
    (n) => formatRemote({ ...loc, path: n }),
    async (name) => {
      const where = shownRemote({ ...loc, path: name });
      if (o.dryRun) {
        ctx.out.result({ type: 'hide', dryRun: true, bucket: loc.bucket, name }, `would hide ${where}`);
        return;
      }
      const fv = await t.client.hideFile(t.bucket.bucketId, name);
      ctx.out.result(
        { type: 'hide', bucket: loc.bucket, name, fileId: fv.fileId },
        ctx.out.quiet ? undefined : `hid ${where} (older versions kept; rm --versions deletes them)`,
      );
    },
  );
}

export async function mkdirAction(
  ctx: CliContext,
  loc: RemoteLocation,
  o: { dryRun: boolean; bucketType: BucketType },
): Promise<void> {
  if (!loc.bucket) throw new UsageError(`mkdir needs b2://bucket or b2://bucket/folder, got "${formatRemote(loc)}"`);
  if (!loc.path) {
    if (o.dryRun) {
      ctx.out.result(
        { type: 'bucket', dryRun: true, name: loc.bucket, bucketType: o.bucketType },
        `would create bucket ${loc.bucket} (${o.bucketType})`,
      );
      return;
    }
    const client = await ctx.client(loc.profile);
    const b = await client.createBucket({ bucketName: loc.bucket, bucketType: o.bucketType });
    ctx.out.result(
      { type: 'bucket', name: b.bucketName, bucketId: b.bucketId, bucketType: b.bucketType },
      `created bucket ${b.bucketName} (${b.bucketType})`,
    );
    return;
  }
  const name = folderPrefix(loc.path) + FOLDER_PLACEHOLDER;
  const t = await openTarget(ctx, loc);
  if (o.dryRun) {
    ctx.out.result(
      { type: 'folder', dryRun: true, bucket: loc.bucket, name },
      `would create ${shownRemote({ ...loc, path: name })}`,
    );
    return;
  }
  const fv = await t.client.uploadFile({
    bucketId: t.bucket.bucketId,
    fileName: name,
    body: Buffer.alloc(0),
    contentLength: 0,
    contentType: 'application/x-empty',
  });
  ctx.out.result(
    { type: 'folder', bucket: loc.bucket, name, fileId: fv.fileId },
    `created folder ${shownRemote({ ...loc, path: folderPrefix(loc.path) })}`,
  );
}

export async function rmdirAction(
  ctx: CliContext,
  loc: RemoteLocation,
  o: { recursive: boolean; force: boolean; dryRun: boolean; transfers: number },
): Promise<void> {
  if (!loc.bucket || !loc.path)
    throw new UsageError(
      `rmdir needs a folder inside a bucket, got "${formatRemote(loc)}"; to delete a bucket use \`b2sync bucket delete\``,
    );
  const t = await openTarget(ctx, loc);
  const prefix = folderPrefix(loc.path);
  const versions = await versionsOf(t, { prefix });
  const isPlaceholder = (f: FileVersion) => f.fileName === prefix + FOLDER_PLACEHOLDER;
  // files a listing shows: the newest version of each name is an upload
  const live = new Set<string>();
  const seen = new Set<string>();
  for (const f of versions) {
    if (seen.has(f.fileName)) continue;
    seen.add(f.fileName);
    if (f.action === 'upload' && !isPlaceholder(f)) live.add(f.fileName);
  }
  const placeholders = versions.filter(isPlaceholder);
  if (live.size === 0) {
    // empty: only placeholders (hidden files do not make a folder)
    if (placeholders.length === 0) throw new NotFoundError(`${formatRemote(loc)}: no such folder`);
    await deleteVersions(ctx, t, placeholders, o);
    return;
  }
  if (!o.recursive)
    throw new UsageError(
      `${formatRemote(loc)} is not empty (${live.size} files): use rmdir --recursive to remove everything under it`,
    );
  if (!o.force && !o.dryRun) {
    const ok = await confirm(
      ctx,
      `Delete all ${versions.length} versions of ${seen.size} files under ${formatRemote({ ...loc, path: prefix })}? [y/N] `,
    );
    if (!ok) throw new UsageError('not confirmed: nothing deleted (add --force to skip the question)');
  }
  await deleteVersions(ctx, t, versions, o);
}
