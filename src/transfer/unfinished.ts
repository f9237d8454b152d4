/** Housekeeping for unfinished large files (abandoned uploads). */
import type { B2Api } from '../client/api.js';
import type { FileVersion } from '../wire/types.js';

/** List (and unless dryRun, cancel) unfinished large files, optionally only those older than a threshold. */
export async function cancelUnfinished(
  client: B2Api,
  p: { bucketId: string; namePrefix?: string; olderThanMs?: number; dryRun?: boolean },
): Promise<FileVersion[]> {
  const before = p.olderThanMs === undefined ? Infinity : Date.now() - p.olderThanMs;
  const picked: FileVersion[] = [];
  for await (const f of client.listUnfinishedLargeFiles(p.bucketId, { namePrefix: p.namePrefix || undefined })) {
    if (f.uploadTimestamp < before) picked.push(f);
  }
  if (!p.dryRun) {
    for (const f of picked) if (f.fileId) await client.cancelLargeFile(f.fileId);
  }
  return picked;
}
