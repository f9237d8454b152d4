/** B2 JSON shapes, spelled as on the wire (b2-api.md). Request and response types per call. */

export type ApiVersion = 'v1' | 'v2' | 'v3' | 'v4';

export type FileAction = 'upload' | 'start' | 'hide' | 'folder' | 'copy';
export type BucketType = 'allPublic' | 'allPrivate' | 'snapshot' | 'restricted' | 'shared';

export interface AllowedV4 {
  capabilities: string[];
  buckets: { id: string; name: string | null }[] | null;
  namePrefix: string | null;
}

export interface StorageApiV4 {
  apiUrl: string;
  downloadUrl: string;
  s3ApiUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
  allowed: AllowedV4;
}

export interface AuthorizeResponseV4 {
  accountId: string;
  authorizationToken: string;
  apiInfo: { storageApi: StorageApiV4; groupsApi?: unknown };
  applicationKeyExpirationTimestamp: number | null;
}

export interface AuthorizeResponseV3 {
  accountId: string;
  authorizationToken: string;
  apiInfo: {
    storageApi: {
      absoluteMinimumPartSize: number;
      apiUrl: string;
      bucketId: string | null;
      bucketName: string | null;
      capabilities: string[];
      downloadUrl: string;
      infoType: 'storageApi';
      namePrefix: string | null;
      recommendedPartSize: number;
      s3ApiUrl: string;
    };
  };
  applicationKeyExpirationTimestamp?: number | null;
}

/** v1 and v2: flat. */
export interface AuthorizeResponseV2 {
  accountId: string;
  authorizationToken: string;
  apiUrl: string;
  downloadUrl: string;
  s3ApiUrl: string;
  recommendedPartSize: number;
  absoluteMinimumPartSize: number;
  minimumPartSize?: number;
  allowed: { bucketId: string | null; bucketName: string | null; capabilities: string[]; namePrefix: string | null };
}

export interface Bucket {
  accountId: string;
  bucketId: string;
  bucketName: string;
  bucketType: BucketType | string;
  bucketInfo: Record<string, string>;
  corsRules: unknown[];
  lifecycleRules: LifecycleRule[];
  defaultServerSideEncryption?: {
    isClientAuthorizedToRead: boolean;
    value: { mode: string | null; algorithm?: string } | null;
  };
  fileLockConfiguration?: { isClientAuthorizedToRead: boolean; value: unknown };
  options: string[];
  revision: number;
}

export interface LifecycleRule {
  fileNamePrefix: string;
  daysFromUploadingToHiding: number | null;
  daysFromHidingToDeleting: number | null;
  daysFromStartingToCancelingUnfinishedLargeFiles?: number | null;
}

export interface ServerSideEncryption {
  mode: string | null;
  algorithm: string | null;
}

/** The file object (v2+). v1 listings also carry `size`. */
export interface FileVersion {
  accountId: string;
  action: FileAction;
  bucketId: string;
  contentLength: number;
  contentSha1: string | null;
  contentMd5: string | null;
  contentType: string | null;
  fileId: string | null;
  fileInfo: Record<string, string>;
  fileName: string;
  uploadTimestamp: number;
  serverSideEncryption?: ServerSideEncryption;
  fileRetention?: {
    isClientAuthorizedToRead: boolean;
    value: { mode: string | null; retainUntilTimestamp: number | null } | null;
  };
  legalHold?: { isClientAuthorizedToRead: boolean; value: string | null };
  /** v1 only. */
  size?: number;
}

export interface UploadUrlResponse {
  bucketId: string;
  uploadUrl: string;
  authorizationToken: string;
}

export interface PartUploadUrlResponse {
  fileId: string;
  uploadUrl: string;
  authorizationToken: string;
}

export interface Part {
  fileId: string;
  partNumber: number;
  contentLength: number;
  contentSha1: string;
  contentMd5: string | null;
  serverSideEncryption?: ServerSideEncryption;
  uploadTimestamp: number;
}

export interface ListPartsResponse {
  parts: Part[];
  nextPartNumber: number | null;
}
export interface ListUnfinishedResponse {
  files: FileVersion[];
  nextFileId: string | null;
}

export interface CancelLargeFileResponse {
  fileId: string;
  accountId: string;
  bucketId: string;
  fileName: string;
}

export interface DeleteFileVersionResponse {
  fileId: string;
  fileName: string;
}

export interface DownloadAuthorizationResponse {
  bucketId: string;
  fileNamePrefix: string;
  authorizationToken: string;
}

export interface ApplicationKey {
  accountId: string;
  applicationKeyId: string;
  keyName: string;
  capabilities: string[];
  /** v4: set of buckets; v1-v3: bucketId. */
  bucketIds?: string[] | null;
  bucketId?: string | null;
  namePrefix: string | null;
  expirationTimestamp: number | null;
  options?: string[];
}

export interface CreateKeyResponse extends ApplicationKey {
  applicationKey: string;
}

export interface ListKeysResponse {
  keys: ApplicationKey[];
  nextApplicationKeyId: string | null;
}

/** Billing classes (b2-api.md §15). */
export type BillingClass = 'A' | 'B' | 'C';

export const CALL_CLASS: Record<string, BillingClass> = {
  b2_cancel_large_file: 'A',
  b2_delete_bucket: 'A',
  b2_delete_file_version: 'A',
  b2_delete_key: 'A',
  b2_finish_large_file: 'A',
  b2_get_upload_part_url: 'A',
  b2_get_upload_url: 'A',
  b2_hide_file: 'A',
  b2_start_large_file: 'A',
  b2_upload_file: 'A',
  b2_upload_part: 'A',
  b2_download_file_by_id: 'B',
  b2_download_file_by_name: 'B',
  b2_get_file_info: 'B',
  b2_list_file_names: 'C',
  b2_list_file_versions: 'C',
  b2_authorize_account: 'C',
  b2_copy_file: 'C',
  b2_copy_part: 'C',
  b2_create_bucket: 'C',
  b2_create_key: 'C',
  b2_get_download_authorization: 'C',
  b2_list_buckets: 'C',
  b2_list_keys: 'C',
  b2_list_parts: 'C',
  b2_list_unfinished_large_files: 'C',
  b2_update_bucket: 'C',
  // (unconfirmed: b2-api.md §15's list was truncated)
  b2_get_bucket_notification_rules: 'C',
  b2_set_bucket_notification_rules: 'C',
};
