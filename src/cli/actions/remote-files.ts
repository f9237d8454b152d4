/** Helpers shared by the file actions: files of a remote location, records for output, bounded parallel work. */
import pLimit from 'p-limit';
import type { B2Api } from '../../client/api.js';
import { NotFoundError, PartialFailureError } from '../../core/errors.js';
import { normalizeSha1 } from '../../core/sha1.js';
import { INFO_LARGE_FILE_SHA1, INFO_SRC_LAST_MODIFIED } from '../../wire/headers.js';
import type { Bucket, FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { isoTime } from '../output/format.js';
import { formatRemote, type RemoteLocation } from '../remote-path.js';

export const FOLDER_PLACEHOLDER = '.bzEmpty';

export interface Target {
  client: B2Api;
  bucket: Bucket;
  loc: RemoteLocation;
}

export async function openTarget(ctx: CliContext, loc: RemoteLocation): Promise<Target> {
  const client = await ctx.client(loc.profile);
  const bucket = await ctx.bucket(loc.bucket, loc.profile);
  return { client, bucket, loc };
}

/** Modification time: src_last_modified_millis when valid, else the upload time. */
export function modTime(f: FileVersion): number {
  const v = f.fileInfo?.[INFO_SRC_LAST_MODIFIED];
  const n = v !== undefined ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : f.uploadTimestamp;
}

export function fileSha1(f: FileVersion): string | null {
  return normalizeSha1(f.contentSha1) ?? normalizeSha1(f.fileInfo?.[INFO_LARGE_FILE_SHA1]) ?? null;
}

/** The stable --json record of a file version (documented in docs/commands.md). */
export function fileRecord(f: FileVersion, bucket: string, relative?: string): Record<string, unknown> {
  return {
    type: 'file',
    bucket,
    name: f.fileName,
    path: relative ?? f.fileName,
    size: f.action === 'hide' ? 0 : f.contentLength,
    modTime: isoTime(modTime(f)),
    uploadTime: isoTime(f.uploadTimestamp),
    sha1: f.action === 'hide' ? null : fileSha1(f),
    fileId: f.fileId,
    contentType: f.contentType,
    action: f.action,
  };
}

/** The newest version of exactly `name`, or undefined when absent or hidden. */
export async function findFile(client: B2Api, bucketId: string, name: string): Promise<FileVersion | undefined> {
  for await (const f of client.listFileNames(bucketId, { startFileName: name, prefix: name, pageSize: 1 })) {
    return f.fileName === name && f.action === 'upload' ? f : undefined;
  }
  return undefined;
}

/** The prefix a folder path stands for: "" or "a/b/". */
export function folderPrefix(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

/** Every current file under a prefix (recursive), in B2's order. */
export async function* filesUnder(
  client: B2Api,
  bucketId: string,
  prefix: string,
  signal?: AbortSignal,
): AsyncIterable<FileVersion> {
  for await (const f of client.listFileNames(bucketId, { prefix: prefix || undefined, signal })) {
    if (f.action === 'upload') yield f;
  }
}

/**
 * What a remote path names: one file (exact name, unless it ends with '/'), or else the files under
 * the folder prefix. Throws NotFoundError when neither exists.
 */
export async function resolveFiles(
  t: Target,
): Promise<{ kind: 'file'; file: FileVersion } | { kind: 'folder'; prefix: string; files: FileVersion[] }> {
  const { client, bucket, loc } = t;
  if (loc.path && !loc.path.endsWith('/')) {
    const f = await findFile(client, bucket.bucketId, loc.path);
    if (f) return { kind: 'file', file: f };
  }
  const prefix = folderPrefix(loc.path);
  const files: FileVersion[] = [];
  for await (const f of filesUnder(client, bucket.bucketId, prefix)) files.push(f);
  if (files.length === 0) throw new NotFoundError(`${formatRemote(loc)}: no such file or folder`);
  return { kind: 'folder', prefix, files };
}

/** The name after the last '/'. */
export function baseName(name: string): string {
  const i = name.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? name.replace(/\/+$/, '') : name.slice(i + 1).replace(/\/+$/, '');
}

/**
 * Run fn over items with bounded concurrency; every failure is named on stderr; if some failed, throws
 * PartialFailureError (exit 4), or the error itself when the only item failed.
 */
export async function forEachItem<T>(
  ctx: CliContext,
  items: Iterable<T>,
  concurrency: number,
  label: (item: T) => string,
  fn: (item: T) => Promise<void>,
): Promise<{ done: number; failed: number }> {
  const limit = pLimit(Math.max(1, concurrency));
  const failures: { item: string; error: unknown }[] = [];
  let done = 0;
  let total = 0;
  const tasks: Promise<void>[] = [];
  for (const item of items) {
    total++;
    tasks.push(
      limit(async () => {
        try {
          await fn(item);
          done++;
        } catch (err) {
          failures.push({ item: label(item), error: err });
          if (total > 1) ctx.out.failed(label(item), err);
        }
      }),
    );
  }
  await Promise.all(tasks);
  if (failures.length === 1 && total === 1) throw failures[0].error;
  if (failures.length > 0 && failures.length === total) throw new Error(`all ${total} items failed (each named above)`);
  if (failures.length > 0) {
    throw new PartialFailureError(`${failures.length} of ${total} items failed (each named above)`, failures);
  }
  return { done, failed: 0 };
}
