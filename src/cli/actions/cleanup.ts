/**
 * cleanup: on a remote path, cancel unfinished large files (optionally only older than --older-than) and,
 * with --old-versions, delete versions superseded more than --keep-days ago; on a local folder, remove
 * this tool's orphaned temporary download files.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { cancelUnfinished, TEMP_SUFFIX } from '../../transfer/index.js';
import type { FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output/format.js';
import { formatRemote, shownRemote, type Location } from '../remote-path.js';
import { printable } from '../output/printable.js';
import { forEachItem, openTarget } from './remote-files.js';

export interface CleanupOptions {
  olderThanMs?: number;
  oldVersions: boolean;
  keepDays: number;
  dryRun: boolean;
  transfers: number;
}

const DAY = 86_400_000;

/** Versions to delete: each older version superseded (by a newer upload or hide) at least keepDays ago. Pure. */
export function supersededVersions(versions: Iterable<FileVersion>, keepDays: number, now: number): FileVersion[] {
  const out: FileVersion[] = [];
  let prev: FileVersion | undefined;
  for (const f of versions) {
    if (f.action === 'folder' || f.action === 'start') continue;
    if (prev && prev.fileName === f.fileName) {
      if (now - prev.uploadTimestamp >= keepDays * DAY) out.push(f);
    }
    prev = f;
  }
  return out;
}

async function localCleanup(ctx: CliContext, dir: string, o: CleanupOptions): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new NotFoundError(`${dir}: no such local folder`);
  if (!st.isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const found: { path: string; size: number }[] = [];
  const now = Date.now();
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith(TEMP_SUFFIX)) {
        const s = await stat(p);
        if (o.olderThanMs === undefined || now - s.mtimeMs >= o.olderThanMs) found.push({ path: p, size: s.size });
      }
    }
  }
  await walk(dir);
  for (const f of found) {
    if (!o.dryRun) await rm(f.path, { force: true });
    ctx.out.result(
      { type: 'temp-file', path: f.path, size: f.size, dryRun: o.dryRun || undefined },
      `${o.dryRun ? 'would remove' : 'removed'} ${printable(f.path)} (${formatBytes(f.size)})`,
    );
  }
  if (found.length === 0) ctx.out.notice(`no temporary download files (*${TEMP_SUFFIX}) under ${dir}`);
}

export async function cleanupAction(ctx: CliContext, loc: Location, o: CleanupOptions): Promise<void> {
  if (loc.kind === 'local') {
    if (o.oldVersions) throw new UsageError('--old-versions applies to a remote path (b2://bucket/prefix)');
    return localCleanup(ctx, loc.path, o);
  }
  if (!loc.bucket) throw new UsageError(`cleanup needs a bucket: b2://bucket[/prefix], got "${formatRemote(loc)}"`);
  const t = await openTarget(ctx, loc);
  const cancelled = await cancelUnfinished(t.client, {
    bucketId: t.bucket.bucketId,
    namePrefix: loc.path || undefined,
    olderThanMs: o.olderThanMs,
    dryRun: o.dryRun,
  });
  for (const f of cancelled) {
    ctx.out.result(
      {
        type: 'cancel-large-file',
        bucket: loc.bucket,
        name: f.fileName,
        fileId: f.fileId,
        uploadTime: new Date(f.uploadTimestamp).toISOString(),
        dryRun: o.dryRun || undefined,
      },
      `${o.dryRun ? 'would cancel' : 'cancelled'} unfinished large file ${shownRemote({ ...loc, path: f.fileName })} (${f.fileId})`,
    );
  }
  if (!o.oldVersions) return;
  const all: FileVersion[] = [];
  for await (const f of t.client.listFileVersions(t.bucket.bucketId, { prefix: loc.path || undefined })) all.push(f);
  const old = supersededVersions(all, o.keepDays, Date.now());
  await forEachItem(
    ctx,
    old,
    o.transfers,
    (f) => `${formatRemote({ ...loc, path: f.fileName })} (${f.fileId})`,
    async (f) => {
      if (!o.dryRun) await t.client.deleteFileVersion(f.fileName, f.fileId!);
      ctx.out.result(
        {
          type: 'delete',
          bucket: loc.bucket,
          name: f.fileName,
          fileId: f.fileId,
          action: f.action,
          dryRun: o.dryRun || undefined,
        },
        `${o.dryRun ? 'would delete' : 'deleted'} old version ${f.fileId} of ${shownRemote({ ...loc, path: f.fileName })}`,
      );
    },
  );
}
