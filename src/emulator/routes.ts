/** The one route table: every B2 call the emulator serves, its handler, kind and HTTP methods. */
import type { CallKind } from './controls.js';
import type { Call } from './emulator.js';
import { authorizeAccount, createKey, deleteKey, listKeys } from './handlers/account.js';
import { createBucket, deleteBucket, listBuckets, updateBucket } from './handlers/buckets.js';
import { copyFile, copyPart } from './handlers/copy.js';
import { downloadById, downloadByName } from './handlers/download.js';
import { deleteFileVersion, getDownloadAuthorization, getFileInfo, getUploadUrl, hideFile } from './handlers/files.js';
import { cancelLargeFile, finishLargeFile, getUploadPartUrl, listParts, startLargeFile } from './handlers/large.js';
import { getBucketNotificationRules, setBucketNotificationRules } from './handlers/notifications.js';
import { listFileNames, listFileVersions, listUnfinishedLargeFiles } from './handlers/list.js';
import { uploadFile, uploadPart } from './handlers/upload.js';

export interface Route {
  handler: (call: Call) => unknown;
  kind: CallKind;
  methods: readonly string[];
}

const JSON_METHODS = ['GET', 'POST'] as const;
const json = (handler: Route['handler']): Route => ({ handler, kind: 'json', methods: JSON_METHODS });

export const ROUTES: Record<string, Route> = {
  b2_authorize_account: json(authorizeAccount),
  b2_list_buckets: json(listBuckets),
  b2_create_bucket: json(createBucket),
  b2_update_bucket: json(updateBucket),
  b2_delete_bucket: json(deleteBucket),
  b2_get_upload_url: json(getUploadUrl),
  b2_upload_file: { handler: uploadFile, kind: 'upload', methods: ['POST'] },
  b2_start_large_file: json(startLargeFile),
  b2_get_upload_part_url: json(getUploadPartUrl),
  b2_upload_part: { handler: uploadPart, kind: 'upload', methods: ['POST'] },
  b2_finish_large_file: json(finishLargeFile),
  b2_cancel_large_file: json(cancelLargeFile),
  b2_list_parts: json(listParts),
  b2_list_unfinished_large_files: json(listUnfinishedLargeFiles),
  b2_copy_file: json(copyFile),
  b2_copy_part: json(copyPart),
  b2_list_file_names: json(listFileNames),
  b2_list_file_versions: json(listFileVersions),
  b2_hide_file: json(hideFile),
  b2_delete_file_version: json(deleteFileVersion),
  b2_get_file_info: json(getFileInfo),
  b2_get_download_authorization: json(getDownloadAuthorization),
  b2_create_key: json(createKey),
  b2_list_keys: json(listKeys),
  b2_delete_key: json(deleteKey),
  b2_set_bucket_notification_rules: json(setBucketNotificationRules),
  b2_get_bucket_notification_rules: json(getBucketNotificationRules),
  b2_download_file_by_id: { handler: downloadById, kind: 'download', methods: ['GET', 'HEAD', 'POST'] },
  b2_download_file_by_name: { handler: downloadByName, kind: 'download', methods: ['GET', 'HEAD'] },
};

/** Listings are billed per 1000 entries returned (b2-api.md §15). */
export const BILLED_PER_1000 = new Set(['b2_list_file_names', 'b2_list_file_versions']);
