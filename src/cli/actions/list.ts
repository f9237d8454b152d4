/** lsd (buckets, or folders under a prefix) and ls (files; recursive by default; -l; --versions). */
import type { CliContext } from '../context.js';
import { formatTime, pad } from '../output/format.js';
import { printable } from '../output/printable.js';
import type { RemoteLocation } from '../remote-path.js';
import { fileRecord, fileSha1, folderPrefix, modTime, openTarget, findFile } from './remote-files.js';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { formatRemote } from '../remote-path.js';

export async function lsdAction(ctx: CliContext, loc: RemoteLocation | undefined): Promise<void> {
  if (!loc || !loc.bucket) {
    const client = await ctx.client(loc?.profile);
    const buckets = await client.listBuckets();
    for (const b of buckets) {
      ctx.out.result(
        { type: 'bucket', name: b.bucketName, bucketId: b.bucketId, bucketType: b.bucketType },
        `${String(b.bucketType).padEnd(11)} ${b.bucketId}  ${b.bucketName}`,
      );
    }
    return;
  }
  const t = await openTarget(ctx, loc);
  const prefix = folderPrefix(loc.path);
  for await (const f of t.client.listFileNames(t.bucket.bucketId, { prefix: prefix || undefined, delimiter: '/' })) {
    if (f.action !== 'folder') continue;
    const rel = f.fileName.slice(prefix.length);
    ctx.out.result({ type: 'folder', bucket: loc.bucket, name: f.fileName, path: rel }, printable(rel));
  }
}

export interface LsOptions {
  recursive: boolean;
  long: boolean;
  versions: boolean;
  /** --at: the tree as it was at this moment (ms). */
  atMs?: number;
}

/** The listing's prefix: `ls b2://bucket/file.txt` lists that one file, otherwise the folder. */
async function listPrefix(t: Awaited<ReturnType<typeof openTarget>>, path: string, versions: boolean): Promise<string> {
  let prefix = folderPrefix(path);
  if (path && !path.endsWith('/')) {
    const single = versions ? undefined : await findFile(t.client, t.bucket.bucketId, path);
    if (single) prefix = path;
    else if (versions) {
      let exact = false;
      for await (const f of t.client.listFileVersions(t.bucket.bucketId, {
        prefix: path,
        startFileName: path,
        pageSize: 1,
      }))
        exact = f.fileName === path;
      if (exact) prefix = path;
    }
  }
  return prefix;
}

export async function lsAction(ctx: CliContext, loc: RemoteLocation, o: LsOptions): Promise<void> {
  if (!loc.bucket) return lsdAction(ctx, loc);
  const t = await openTarget(ctx, loc);
  if (o.atMs !== undefined) {
    if (o.versions) throw new UsageError('--at and --versions cannot be used together');
    return (await import('./list-at.js')).lsAtAction(ctx, t, { ...o, atMs: o.atMs });
  }
  const prefix = await listPrefix(t, loc.path, o.versions);
  const delimiter = o.recursive ? undefined : '/';
  const base = prefix.endsWith('/') || prefix === '' ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const iter = o.versions
    ? t.client.listFileVersions(t.bucket.bucketId, { prefix: prefix || undefined, delimiter })
    : t.client.listFileNames(t.bucket.bucketId, { prefix: prefix || undefined, delimiter });
  let count = 0;
  let lastName: string | undefined;
  for await (const f of iter) {
    if (f.action === 'folder' || f.action === 'start') continue;
    if (!o.versions && f.action !== 'upload') continue;
    count++;
    const rel = f.fileName.slice(base.length);
    const rec = fileRecord(f, loc.bucket, rel);
    const isOld = o.versions && lastName === f.fileName;
    lastName = f.fileName;
    if (o.versions) {
      rec.current = !isOld;
      rec.deleted = f.action === 'hide';
    }
    let human: string;
    if (f.action === 'hide') {
      human = o.long
        ? `${pad('-', 12)} ${formatTime(f.uploadTimestamp)} ${'(deleted)'.padEnd(40)} ${f.fileId}  ${printable(rel)}`
        : `${pad('-', 12)} ${printable(rel)} (deleted ${formatTime(f.uploadTimestamp)})`;
    } else if (o.long) {
      human = `${pad(f.contentLength, 12)} ${formatTime(modTime(f))} ${(fileSha1(f) ?? '-').padEnd(40)} ${f.fileId}  ${printable(rel)}${isOld ? ' (old version)' : ''}`;
    } else {
      human = `${pad(f.contentLength, 12)} ${printable(rel)}${isOld ? ' (old version)' : ''}`;
    }
    ctx.out.result(rec, human);
  }
  if (count === 0 && loc.path) {
    // An empty listing of a named path that does not exist is "not found"; a bucket root may be empty.
    let any = false;
    for await (const _ of t.client.listFileNames(t.bucket.bucketId, { prefix: folderPrefix(loc.path), pageSize: 1 })) {
      any = true;
      break;
    }
    if (!any) throw new NotFoundError(`${formatRemote(loc)}: no such file or folder`);
  }
}
