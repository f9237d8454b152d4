/** bucket create / list / delete. */
import { UsageError } from '../../core/errors.js';
import type { BucketType } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { lsdAction } from './list.js';
import { mkdirAction } from './remove.js';
import { parseLocation, type RemoteLocation } from '../remote-path.js';

/** A bucket given as NAME, b2://NAME or PROFILE:NAME. */
export function bucketLocation(text: string): RemoteLocation {
  const loc = parseLocation(text);
  if (loc.kind === 'remote') {
    if (!loc.bucket || loc.path) throw new UsageError(`"${text}" is not a bucket: give NAME or b2://NAME`);
    return loc;
  }
  return parseLocation(`b2://${text}`) as RemoteLocation;
}

export async function bucketCreateAction(
  ctx: CliContext,
  text: string,
  o: { bucketType: BucketType; dryRun: boolean },
): Promise<void> {
  return mkdirAction(ctx, bucketLocation(text), o);
}

export async function bucketListAction(ctx: CliContext, profile?: string): Promise<void> {
  return lsdAction(ctx, profile ? { kind: 'remote', profile, bucket: '', path: '', folder: true } : undefined);
}

export async function bucketDeleteAction(ctx: CliContext, text: string, o: { dryRun: boolean }): Promise<void> {
  const loc = bucketLocation(text);
  const b = await ctx.bucket(loc.bucket, loc.profile);
  const client = await ctx.client(loc.profile);
  let count = 0;
  for await (const _ of client.listFileVersions(b.bucketId, { pageSize: 1 })) {
    count++;
    break;
  }
  for await (const _ of client.listUnfinishedLargeFiles(b.bucketId)) {
    count++;
    break;
  }
  if (count > 0) {
    throw new UsageError(
      `bucket "${loc.bucket}" is not empty: remove its files first (b2sync rm -R --versions b2://${loc.bucket}/ and b2sync cleanup b2://${loc.bucket})`,
    );
  }
  if (o.dryRun) {
    ctx.out.result(
      { type: 'bucket-delete', dryRun: true, name: b.bucketName, bucketId: b.bucketId },
      `would delete bucket ${b.bucketName}`,
    );
    return;
  }
  await client.deleteBucket(b.bucketId);
  ctx.out.result({ type: 'bucket-delete', name: b.bucketName, bucketId: b.bucketId }, `deleted bucket ${b.bucketName}`);
}
