/** Wire shapes per API version (b2-api.md §3, §4.2, §5.3, §16). */
import type { ApiVersion } from '../wire/types.js';
import { EMPTY_MD5, EMPTY_SHA1 } from '../core/limits.js';
import { HIDE_MARKER_CONTENT_TYPE } from './content-types.js';
import type { StoredBucket, StoredFile, StoredKey, StoredPart } from './store/records.js';

export function bucketShape(b: StoredBucket, accountId: string): Record<string, unknown> {
  return {
    accountId,
    bucketId: b.bucketId,
    bucketName: b.bucketName,
    bucketType: b.bucketType,
    bucketInfo: b.bucketInfo,
    corsRules: b.corsRules,
    defaultServerSideEncryption: { isClientAuthorizedToRead: true, value: b.defaultServerSideEncryption },
    fileLockConfiguration: {
      isClientAuthorizedToRead: true,
      value: { defaultRetention: { mode: null, period: null }, isFileLockEnabled: b.fileLockEnabled },
    },
    lifecycleRules: b.lifecycleRules,
    options: ['s3'],
    replicationConfiguration: { isClientAuthorizedToRead: true, value: null },
    revision: b.revision,
  };
}

/** A file object. v1 adds `size` (rclone 1.60 reads it from listings). */
export function fileShape(
  f: StoredFile,
  version: ApiVersion,
  accountId: string,
  action: string = f.action,
): Record<string, unknown> {
  const hide = f.action === 'hide';
  const out: Record<string, unknown> = {
    accountId,
    action,
    bucketId: f.bucketId,
    contentLength: f.contentLength,
    contentMd5: hide ? EMPTY_MD5 : f.contentMd5,
    contentSha1: hide ? EMPTY_SHA1 : f.contentSha1,
    contentType: hide ? HIDE_MARKER_CONTENT_TYPE : f.contentType,
    fileId: f.fileId,
    fileInfo: f.fileInfo,
    fileName: f.fileName,
    uploadTimestamp: f.uploadTimestamp,
  };
  if (!hide) {
    out.serverSideEncryption = { algorithm: null, mode: null };
    out.fileRetention = { isClientAuthorizedToRead: true, value: { mode: null, retainUntilTimestamp: null } };
    out.legalHold = { isClientAuthorizedToRead: true, value: null };
  }
  if (version === 'v1') out.size = f.contentLength;
  return out;
}

export function folderShape(
  bucketId: string,
  name: string,
  version: ApiVersion,
  accountId: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    accountId,
    action: 'folder',
    bucketId,
    contentLength: 0,
    contentMd5: null,
    contentSha1: null,
    contentType: null,
    fileId: null,
    fileInfo: {},
    fileName: name,
    uploadTimestamp: 0,
  };
  if (version === 'v1') out.size = 0;
  return out;
}

export function partShape(fileId: string, p: StoredPart): Record<string, unknown> {
  return {
    fileId,
    partNumber: p.partNumber,
    contentLength: p.contentLength,
    contentSha1: p.contentSha1,
    contentMd5: p.contentMd5,
    serverSideEncryption: { algorithm: null, mode: null },
    uploadTimestamp: p.uploadTimestamp,
  };
}

/** An application key: v4 carries the bucket set `bucketIds`; v1-v3 a single `bucketId`. */
export function keyShape(
  k: StoredKey,
  version: ApiVersion,
  accountId: string,
  withSecret = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    accountId,
    applicationKeyId: k.applicationKeyId,
    capabilities: k.capabilities,
    expirationTimestamp: k.expirationTimestamp,
    keyName: k.keyName,
    namePrefix: k.namePrefix,
    options: ['s3'],
  };
  if (version === 'v4') out.bucketIds = k.bucketIds;
  else out.bucketId = k.bucketIds && k.bucketIds.length === 1 ? k.bucketIds[0] : null;
  if (withSecret) out.applicationKey = k.applicationKey;
  return out;
}
