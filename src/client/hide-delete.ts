/**
 * b2_hide_file and b2_delete_file_version, made to end in the right state when a reply is lost after
 * B2 acted (b2-api.md §10, §13.2): the client's retry then finds the work done.
 * - delete: the retry answers 400 file_not_present; the version is gone, which is what was asked.
 * - hide: the retry answers 400 already_hidden; the hide marker the lost attempt made (the name's
 *   newest version) is the result. (Were B2 to make a second marker instead, that too is harmless:
 *   the name is hidden either way and the older versions are untouched.)
 * Without a retry these answers are errors as before: a version that never existed is not found.
 */
import { B2Error } from '../core/errors.js';
import type { DeleteFileVersionResponse, FileVersion } from '../wire/types.js';
import type { CallOptions } from './api.js';
import type { CallState, ClientCore } from './core.js';
import { listFileVersions } from './listings.js';
import { checkFileName } from './validate.js';

export async function hideFile(
  core: ClientCore,
  bucketId: string,
  fileName: string,
  opts: CallOptions,
): Promise<FileVersion> {
  checkFileName(fileName);
  const state: CallState = { retried: false };
  try {
    return await core.api<FileVersion>('b2_hide_file', { bucketId, fileName }, opts.signal, state);
  } catch (err) {
    if (state.retried && err instanceof B2Error && err.code === 'already_hidden') {
      const newest = await newestVersion(core, bucketId, fileName, opts.signal).catch(() => undefined);
      if (newest?.action === 'hide') return newest;
    }
    throw err;
  }
}

async function newestVersion(
  core: ClientCore,
  bucketId: string,
  fileName: string,
  signal: AbortSignal | undefined,
): Promise<FileVersion | undefined> {
  const versions = listFileVersions(core, bucketId, {
    prefix: fileName,
    startFileName: fileName,
    pageSize: 10,
    signal,
  });
  for await (const v of versions) return v.fileName === fileName ? v : undefined;
  return undefined;
}

export async function deleteFileVersion(
  core: ClientCore,
  fileName: string,
  fileId: string,
  opts: CallOptions,
): Promise<DeleteFileVersionResponse> {
  checkFileName(fileName);
  const state: CallState = { retried: false };
  try {
    return await core.api<DeleteFileVersionResponse>(
      'b2_delete_file_version',
      { fileName, fileId },
      opts.signal,
      state,
    );
  } catch (err) {
    if (state.retried && err instanceof B2Error && err.notFound) return { fileId, fileName };
    throw err;
  }
}
