/** b2_list_buckets, b2_create_bucket, b2_update_bucket, b2_delete_bucket (b2-api.md §4). */
import { bucketNameProblem } from '../../wire/names.js';
import { LIMITS } from '../../core/limits.js';
import { b2Fail } from '../errors.js';
import type { Call } from '../emulator.js';
import { newBucketId } from '../ids.js';
import { bucketShape } from '../shapes.js';
import type { StoredBucket } from '../store/records.js';

const SETTABLE_TYPES = ['allPublic', 'allPrivate'];
const LISTABLE_TYPES = ['allPublic', 'allPrivate', 'snapshot', 'restricted', 'shared'];
const DEFAULT_LISTED = ['allPublic', 'allPrivate', 'snapshot'];
const MAX_BUCKET_INFO = 10;

export function listBuckets(call: Call): unknown {
  const { emu, params, version } = call;
  const { key } = emu.require(call, 'listBuckets');
  emu.checkAccountId(call);
  const bucketId = params.str('bucketId');
  const bucketName = params.str('bucketName');
  const types = params.strArray('bucketTypes');
  let wanted = DEFAULT_LISTED;
  if (types) {
    if (types.length === 0) throw b2Fail('bad_request', 'bucketTypes must not be empty');
    if (types.includes('all')) {
      if (types.length > 1) throw b2Fail('bad_request', 'bucketTypes "all" cannot be combined with other types');
      wanted = LISTABLE_TYPES;
    } else {
      for (const t of types) if (!LISTABLE_TYPES.includes(t)) throw b2Fail('bad_request', `unknown bucket type: ${t}`);
      wanted = types;
    }
  }
  let visible = [...emu.meta.buckets.values()];
  if (key.bucketIds) {
    const named =
      bucketId !== undefined
        ? bucketId
        : bucketName !== undefined
          ? emu.meta.bucketByName(bucketName)?.bucketId
          : undefined;
    if (named === undefined && bucketName === undefined && bucketId === undefined) {
      // v1 (the Aug 2018 workaround) lists just the allowed buckets; v2+ insist on a filter.
      if (version !== 'v1')
        throw b2Fail('unauthorized', 'application key is restricted to a bucket: name it with bucketId or bucketName');
    } else if (named === undefined || !key.bucketIds.includes(named)) {
      throw b2Fail('unauthorized', 'application key is restricted to a different bucket');
    }
    visible = visible.filter((b) => key.bucketIds!.includes(b.bucketId));
  }
  if (bucketId !== undefined) visible = visible.filter((b) => b.bucketId === bucketId);
  if (bucketName !== undefined) visible = visible.filter((b) => b.bucketName === bucketName);
  visible = visible.filter((b) => wanted.includes(b.bucketType));
  visible.sort((a, b) => (a.bucketName < b.bucketName ? -1 : a.bucketName > b.bucketName ? 1 : 0));
  return { buckets: visible.map((b) => bucketShape(b, emu.accountId)) };
}

function bucketType(call: Call, required: boolean): string | undefined {
  const t = required ? call.params.reqStr('bucketType') : call.params.str('bucketType');
  if (t !== undefined && !SETTABLE_TYPES.includes(t))
    throw b2Fail('bad_request', `bucketType must be allPublic or allPrivate, not ${t}`);
  return t;
}

function bucketInfo(call: Call): Record<string, string> | undefined {
  const info = call.params.strMap('bucketInfo');
  if (info && Object.keys(info).length > MAX_BUCKET_INFO)
    throw b2Fail('bad_request', `bucketInfo may have at most ${MAX_BUCKET_INFO} entries`);
  return info;
}

function sse(call: Call): StoredBucket['defaultServerSideEncryption'] | undefined {
  const v = call.params.obj('defaultServerSideEncryption');
  if (!v) return undefined;
  const mode = v.mode ?? null;
  if (mode !== null && mode !== 'SSE-B2')
    throw b2Fail('bad_request', 'defaultServerSideEncryption.mode must be SSE-B2 or null');
  return mode === null ? { mode: null } : { mode, algorithm: 'AES256' };
}

export async function createBucket(call: Call): Promise<unknown> {
  const { emu, params } = call;
  emu.require(call, 'writeBuckets');
  emu.checkAccountId(call);
  const name = params.reqStr('bucketName');
  const problem = bucketNameProblem(name);
  if (problem) throw b2Fail('bad_request', problem);
  const type = bucketType(call, true)!;
  const info = bucketInfo(call) ?? {};
  const corsRules = params.array('corsRules') ?? [];
  const lifecycleRules = params.array('lifecycleRules') ?? [];
  const fileLockEnabled = params.bool('fileLockEnabled') ?? false;
  if (fileLockEnabled) emu.allow(emu.accountToken(call).key, 'writeBucketRetentions');
  if (emu.meta.bucketIdsByName.has(name.toLowerCase()))
    throw b2Fail('duplicate_bucket_name', 'Bucket name is already in use.');
  if (emu.meta.buckets.size >= LIMITS.maxBuckets)
    throw b2Fail('too_many_buckets', `Account already has ${LIMITS.maxBuckets} buckets`);
  const bucket: StoredBucket = {
    bucketId: newBucketId(),
    bucketName: name,
    bucketType: type,
    bucketInfo: info,
    corsRules,
    lifecycleRules,
    fileLockEnabled,
    defaultServerSideEncryption: sse(call) ?? { mode: null },
    revision: 2,
  };
  await emu.meta.commit({ t: 'bucket', b: bucket });
  return bucketShape(bucket, emu.accountId);
}

export async function updateBucket(call: Call): Promise<unknown> {
  const { emu, params } = call;
  const bucketId = params.reqStr('bucketId');
  emu.require(call, 'writeBuckets', { bucketId });
  emu.checkAccountId(call);
  const old = emu.bucket(bucketId);
  const type = bucketType(call, false);
  const info = bucketInfo(call);
  const corsRules = params.array('corsRules');
  const lifecycleRules = params.array('lifecycleRules');
  const lock = params.bool('fileLockEnabled');
  const enc = sse(call);
  const ifRevisionIs = params.int('ifRevisionIs');
  if (ifRevisionIs !== undefined && ifRevisionIs !== old.revision)
    throw b2Fail('conflict', `simultaneous updates to bucket: revision is ${old.revision}, not ${ifRevisionIs}`);
  if (lock === false && old.fileLockEnabled)
    throw b2Fail('file_lock_conflict', 'file lock cannot be disabled once enabled');
  const updated: StoredBucket = {
    ...old,
    bucketType: type ?? old.bucketType,
    bucketInfo: info ?? old.bucketInfo,
    corsRules: corsRules ?? old.corsRules,
    lifecycleRules: lifecycleRules ?? old.lifecycleRules,
    fileLockEnabled: lock ?? old.fileLockEnabled,
    defaultServerSideEncryption: enc ?? old.defaultServerSideEncryption,
    revision: old.revision + 1,
  };
  await emu.meta.commit({ t: 'bucket', b: updated });
  return bucketShape(updated, emu.accountId);
}

export async function deleteBucket(call: Call): Promise<unknown> {
  const { emu, params } = call;
  const bucketId = params.reqStr('bucketId');
  emu.require(call, 'deleteBuckets', { bucketId });
  emu.checkAccountId(call);
  const bucket = emu.bucket(bucketId);
  if ((emu.meta.indexes.get(bucketId)?.size ?? 0) > 0)
    throw b2Fail('cannot_delete_non_empty_bucket', `Cannot delete non-empty bucket ${bucket.bucketName}`);
  await emu.meta.commit({ t: '-bucket', id: bucketId });
  return bucketShape(bucket, emu.accountId);
}
