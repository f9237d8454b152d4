/**
 * Large-file calls whose reply may be lost after B2 acted (b2-api.md §7, §14), each made to end in the
 * right state:
 * - b2_start_large_file: each start carries a random id of the client's in its file info
 *   (INFO_START_ID). When an attempt failed in a way B2 may have acted on (a transport failure, a 5xx),
 *   the unfinished large files of that name are listed and every one carrying this id, other than the
 *   one returned, is cancelled; when the start fails for good, all of them are. The id stays in the
 *   finished file's info (B2 cannot edit info later); it is left out when the info has no room for it
 *   (10 entries, or the 7000-byte header budget), and then a lost start reply can leave an unfinished
 *   file that `cleanup` removes.
 * - b2_finish_large_file: a retry after B2 finished the file answers 400; b2_get_file_info then says
 *   whether it is finished, and if so that is the result.
 * - b2_cancel_large_file: a retry after B2 cancelled answers 400; if b2_get_file_info finds no such
 *   file any more, the cancel succeeded.
 */
import { randomBytes } from 'node:crypto';
import { B2Error } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import type { CancelLargeFileResponse, FileVersion, ListUnfinishedResponse } from '../wire/types.js';
import type { ClientCore, CallState } from './core.js';
import { checkFileMetadata, checkPageSize, infoFits } from './validate.js';

/** File info key of the id that marks one b2_start_large_file (24 hex digits). */
export const INFO_START_ID = 'b2sync_start_id';

export interface StartLargeFileParams {
  bucketId: string;
  fileName: string;
  contentType?: string;
  info?: Record<string, string>;
  signal?: AbortSignal;
}

/** `info` with a start id added, or undefined when B2's limits leave no room for it. */
function markedInfo(fileName: string, info: Record<string, string>, id: string): Record<string, string> | undefined {
  const marked = { ...info, [INFO_START_ID]: id };
  return infoFits(fileName, marked) ? marked : undefined;
}

/** A failure after which B2 may have started the file: the request may have reached it. */
function mayHaveActed(err: unknown, state: CallState): boolean {
  return state.retried || (err instanceof B2Error && (err.status === 0 || err.status >= 500));
}

export async function startLargeFile(core: ClientCore, p: StartLargeFileParams): Promise<FileVersion> {
  const info = p.info ?? {};
  checkFileMetadata(p.fileName, info);
  const id = randomBytes(12).toString('hex');
  const marked = markedInfo(p.fileName, info, id);
  const body = {
    bucketId: p.bucketId,
    fileName: p.fileName,
    contentType: p.contentType ?? 'b2/x-auto',
    fileInfo: marked ?? info,
  };
  const state: CallState = { retried: false };
  let started: FileVersion;
  try {
    started = await core.api<FileVersion>('b2_start_large_file', body, p.signal, state);
  } catch (err) {
    // Aborted: the file is left for the next attempt to resume (or cancel) by its source identity.
    if (marked && !p.signal?.aborted && mayHaveActed(err, state)) await cancelMarked(core, p, id, undefined);
    throw err;
  }
  if (marked && state.retried) await cancelMarked(core, p, id, started.fileId ?? undefined);
  return started;
}

/** Cancel the unfinished large files of this name carrying start id `id`, except `keep` (best effort). */
async function cancelMarked(
  core: ClientCore,
  p: StartLargeFileParams,
  id: string,
  keep: string | undefined,
): Promise<void> {
  try {
    for await (const f of listUnfinishedLargeFiles(core, p.bucketId, { namePrefix: p.fileName, signal: p.signal })) {
      if (f.fileName !== p.fileName || !f.fileId || f.fileId === keep || f.fileInfo?.[INFO_START_ID] !== id) continue;
      await cancelLargeFile(core, f.fileId, { signal: p.signal });
    }
  } catch {
    // A key without listFiles, or B2 still failing: the file stays for `cleanup` (docs/commands.md).
  }
}

export async function finishLargeFile(
  core: ClientCore,
  fileId: string,
  partSha1Array: string[],
  opts: { signal?: AbortSignal },
): Promise<FileVersion> {
  const state: CallState = { retried: false };
  try {
    return await core.api<FileVersion>('b2_finish_large_file', { fileId, partSha1Array }, opts.signal, state);
  } catch (err) {
    // A finish whose reply was lost answers 400 on the retry: if the file is finished, it succeeded.
    if (state.retried && err instanceof B2Error && err.status === 400) {
      const info = await getFileInfo(core, fileId, opts.signal).catch(() => undefined);
      if (info && info.fileId === fileId && info.action === 'upload') return info;
    }
    throw err;
  } finally {
    core.partUrls.drop(fileId);
  }
}

export async function cancelLargeFile(
  core: ClientCore,
  fileId: string,
  opts: { signal?: AbortSignal },
): Promise<CancelLargeFileResponse> {
  core.partUrls.drop(fileId);
  const state: CallState = { retried: false };
  try {
    return await core.api<CancelLargeFileResponse>('b2_cancel_large_file', { fileId }, opts.signal, state);
  } catch (err) {
    // A cancel whose reply was lost answers 400 (no active upload) on the retry: gone means cancelled.
    if (state.retried && err instanceof B2Error && err.status === 400) {
      const gone = await getFileInfo(core, fileId, opts.signal).then(
        () => false,
        (e: unknown) => e instanceof B2Error && e.notFound,
      );
      // B2 no longer knows the file's bucket and name: only the id (and account) can be given back.
      if (gone)
        return {
          fileId,
          accountId: (await core.session.get(opts.signal)).account.accountId,
          bucketId: '',
          fileName: '',
        };
    }
    throw err;
  }
}

function getFileInfo(core: ClientCore, fileId: string, signal: AbortSignal | undefined): Promise<FileVersion> {
  return core.api<FileVersion>('b2_get_file_info', { fileId }, signal);
}

export async function* listUnfinishedLargeFiles(
  core: ClientCore,
  bucketId: string,
  opts: { namePrefix?: string; pageSize?: number; signal?: AbortSignal } = {},
): AsyncIterable<FileVersion> {
  const maxFileCount = checkPageSize(opts.pageSize, LIMITS.maxUnfinishedCount, LIMITS.maxUnfinishedCount);
  let startFileId: string | null = null;
  do {
    const body: Record<string, unknown> = { bucketId, maxFileCount };
    if (opts.namePrefix) body.namePrefix = opts.namePrefix;
    if (startFileId !== null) body.startFileId = startFileId;
    const res = await core.api<ListUnfinishedResponse>('b2_list_unfinished_large_files', body, opts.signal);
    for (const f of res.files) yield f;
    startFileId = res.nextFileId ?? null;
  } while (startFileId !== null);
}
