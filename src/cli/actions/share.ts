/** share: a download link for a file or a prefix, valid 1 s .. 7 d (clamped with a notice); public buckets get a plain URL. */
import { NotFoundError, UsageError } from '../../core/errors.js';
import { LIMITS } from '../../core/limits.js';
import { clampDownloadDuration } from '../../client/share.js';
import type { CliContext } from '../context.js';
import { formatDuration } from '../output/format.js';
import { formatRemote, type RemoteLocation } from '../remote-path.js';
import { findFile, openTarget, type Target } from './remote-files.js';

export async function shareAction(ctx: CliContext, loc: RemoteLocation, o: { expiresMs: number }): Promise<void> {
  if (!loc.bucket || !loc.path)
    throw new UsageError(`share needs a file or folder inside a bucket, got "${formatRemote(loc)}"`);
  const t = await openTarget(ctx, loc);
  const isPrefix = await sharesPrefix(t);
  if (t.bucket.bucketType === 'allPublic') return sharePublic(ctx, t, isPrefix);
  const seconds = linkSeconds(ctx, o.expiresMs);
  const auth = await t.client.getDownloadAuthorization({
    bucketId: t.bucket.bucketId,
    fileNamePrefix: loc.path,
    validDurationInSeconds: seconds,
  });
  const expiresAt = new Date(Date.now() + seconds * 1000).toISOString();
  const url = await t.client.downloadUrlByName(loc.bucket, loc.path, auth.authorizationToken);
  ctx.out.result(
    {
      type: 'share',
      bucket: loc.bucket,
      name: loc.path,
      prefix: isPrefix,
      public: false,
      url,
      token: auth.authorizationToken,
      expiresAt,
      seconds,
    },
    isPrefix
      ? `${url}\n(valid for every name starting with "${loc.path}": replace the name in the URL; expires ${expiresAt})`
      : url,
  );
  if (!isPrefix) ctx.out.notice(`link valid until ${expiresAt}`);
}

/** Whether the link covers a prefix: a path ending in /, or one that names no file but a non-empty folder. */
async function sharesPrefix(t: Target): Promise<boolean> {
  const { loc } = t;
  if (loc.path.endsWith('/')) return true;
  if (await findFile(t.client, t.bucket.bucketId, loc.path)) return false;
  for await (const _ of t.client.listFileNames(t.bucket.bucketId, { prefix: loc.path, pageSize: 1 })) return true;
  throw new NotFoundError(`${formatRemote(loc)}: no such file or folder`);
}

/** A public bucket needs no link: the plain URL, with a notice saying so. */
async function sharePublic(ctx: CliContext, t: Target, isPrefix: boolean): Promise<void> {
  const { loc } = t;
  const url = await t.client.downloadUrlByName(loc.bucket, loc.path);
  ctx.out.notice(`bucket "${loc.bucket}" is public: anyone can download with the plain URL, no link or expiry needed`);
  ctx.out.result(
    {
      type: 'share',
      bucket: loc.bucket,
      name: loc.path,
      prefix: isPrefix,
      public: true,
      url,
      expiresAt: null,
      seconds: null,
    },
    url,
  );
}

/** --expires in whole seconds within B2's 1 s .. 7 d, with a notice when it had to be clamped. */
function linkSeconds(ctx: CliContext, expiresMs: number): number {
  const requested = expiresMs / 1000;
  const d = clampDownloadDuration(requested);
  if (d.clamped) {
    const why =
      requested < LIMITS.minDownloadAuthSeconds
        ? "below B2's 1-second minimum"
        : requested > LIMITS.maxDownloadAuthSeconds
          ? "over B2's 7-day maximum"
          : 'not a whole number of seconds';
    ctx.out.notice(
      `--expires ${formatDuration(requested)} is ${why}: the link is valid for ${formatDuration(d.seconds)}`,
    );
  }
  return d.seconds;
}
