/** Resolved endpoints: what the planner and executor need to know about each side. */
import { UsageError, NotFoundError } from '../core/errors.js';
import type { B2Api } from '../client/api.js';
import { resolve } from 'node:path';
import { localRootState } from './remotes/local.js';
import { normalizePrefix } from './remotes/b2.js';
import type { ActionKind, SyncEndpoint } from './types.js';

export type Side =
  | { kind: 'local'; root: string; state: 'dir' | 'missing' }
  | { kind: 'b2'; client: B2Api; bucketName: string; bucketId: string; prefix: string };

export function describe(e: SyncEndpoint): string {
  return e.kind === 'local' ? e.path : `b2://${e.bucketName}/${e.prefix}`;
}

export async function resolveSide(e: SyncEndpoint, role: 'source' | 'destination'): Promise<Side> {
  if (e.kind === 'local') {
    const root = resolve(e.path);
    const state = await localRootState(root);
    if (state === 'not-dir') throw new UsageError(`${role} ${e.path} is not a directory`);
    return { kind: 'local', root, state };
  }
  const bucket = await e.client.getBucket(e.bucketName);
  return {
    kind: 'b2',
    client: e.client,
    bucketName: e.bucketName,
    bucketId: bucket.bucketId,
    prefix: normalizePrefix(e.prefix),
  };
}

/** Refuse combinations the engine does not do; returns the transfer action for the direction. */
export function checkDirection(
  src: Side,
  dst: Side,
  srcEp: SyncEndpoint,
  dstEp: SyncEndpoint,
): Exclude<ActionKind, 'delete' | 'skip'> {
  if (src.kind === 'local' && dst.kind === 'local')
    throw new UsageError(
      `local to local sync is not supported (${describe(srcEp)} → ${describe(dstEp)}); one side must be a B2 path`,
    );
  if (src.kind === 'b2' && dst.kind === 'b2') {
    if (src.bucketId === dst.bucketId && (src.prefix.startsWith(dst.prefix) || dst.prefix.startsWith(src.prefix)))
      throw new UsageError(`source ${describe(srcEp)} and destination ${describe(dstEp)} overlap in one bucket`);
    return 'copy';
  }
  return src.kind === 'local' ? 'upload' : 'download';
}

export function missingSource(srcEp: SyncEndpoint): NotFoundError {
  return new NotFoundError(`source folder ${describe(srcEp)} does not exist`);
}
