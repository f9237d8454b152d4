/** What the emulator stores about buckets, file versions, parts and keys (plain JSON-able data). */
import type { NotificationRule } from '../../wire/notifications.js';
import type { Segment } from './blobs.js';

export interface StoredBucket {
  bucketId: string;
  bucketName: string;
  bucketType: string;
  bucketInfo: Record<string, string>;
  corsRules: unknown[];
  lifecycleRules: unknown[];
  fileLockEnabled: boolean;
  defaultServerSideEncryption: { mode: string | null; algorithm?: string | null };
  revision: number;
  /** b2_set_bucket_notification_rules (absent: none set yet). */
  notificationRules?: NotificationRule[];
}

export type StoredAction = 'upload' | 'hide' | 'start';

export interface StoredFile {
  fileId: string;
  /** Orders versions of one name (higher = newer); also encoded in the fileId. */
  seq: number;
  bucketId: string;
  fileName: string;
  action: StoredAction;
  contentLength: number;
  /** 40 hex, "unverified:<hex>", "none" (large files), or null. */
  contentSha1: string | null;
  contentMd5: string | null;
  contentType: string | null;
  fileInfo: Record<string, string>;
  uploadTimestamp: number;
  /** The bytes (upload only). */
  segments: Segment[];
}

export interface StoredPart {
  partNumber: number;
  contentLength: number;
  contentSha1: string;
  contentMd5: string | null;
  uploadTimestamp: number;
  segments: Segment[];
}

export interface StoredKey {
  applicationKeyId: string;
  applicationKey: string;
  keyName: string;
  capabilities: string[];
  /** null = every bucket. */
  bucketIds: string[] | null;
  namePrefix: string | null;
  expirationTimestamp: number | null;
}

/** Every capability a master key holds (b2-api.md §2.1). */
export const ALL_CAPABILITIES = [
  'listKeys',
  'writeKeys',
  'deleteKeys',
  'listBuckets',
  'listAllBucketNames',
  'readBuckets',
  'writeBuckets',
  'deleteBuckets',
  'readBucketRetentions',
  'writeBucketRetentions',
  'readBucketEncryption',
  'writeBucketEncryption',
  'readBucketReplications',
  'writeBucketReplications',
  'readBucketNotifications',
  'writeBucketNotifications',
  'readBucketLogging',
  'writeBucketLogging',
  'readBucketLifecycleRules',
  'writeBucketLifecycleRules',
  'listFiles',
  'readFiles',
  'shareFiles',
  'writeFiles',
  'deleteFiles',
  'readFileLegalHolds',
  'writeFileLegalHolds',
  'readFileRetentions',
  'writeFileRetentions',
  'bypassGovernance',
];
