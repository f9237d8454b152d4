/** b2_get_upload_url, b2_hide_file, b2_delete_file_version, b2_get_file_info, b2_get_download_authorization. */
import { fileNameProblem } from '../../wire/names.js';
import { DOWNLOAD_OVERRIDES } from '../../wire/headers.js';
import { LIMITS } from '../../core/limits.js';
import { b2Fail } from '../errors.js';
import type { Call } from '../emulator.js';
import { newFileId, randomHex } from '../ids.js';
import { fileShape } from '../shapes.js';
import { checkOverride } from '../file-info.js';
import { currentVersion } from '../store/meta-store.js';
import type { StoredFile } from '../store/records.js';

/** A file name parameter, validated by B2's rules. */
export function fileNameParam(call: Call, field = 'fileName'): string {
  const name = call.params.reqStr(field);
  const problem = fileNameProblem(name);
  if (problem) throw b2Fail('bad_request', problem);
  return name;
}

export function getUploadUrl(call: Call): unknown {
  const { emu, params, version } = call;
  const bucketId = params.reqStr('bucketId');
  const { key } = emu.require(call, 'writeFiles', { bucketId });
  emu.bucket(bucketId);
  if (call.testMode === 'force_cap_exceeded')
    throw b2Fail('storage_cap_exceeded', 'Cannot upload files, storage cap exceeded.');
  const opaque = randomHex(12);
  const authorizationToken = emu.tokens.issue(emu.accountId, {
    kind: 'upload',
    keyId: key.applicationKeyId,
    expiresAt: Date.now() + emu.tokenTtlMs(key),
    target: bucketId,
    part: false,
    opaque,
    inFlight: false,
  });
  return {
    bucketId,
    uploadUrl: `${call.baseUrl}/b2api/${version}/b2_upload_file/${bucketId}/${opaque}`,
    authorizationToken,
  };
}

export async function hideFile(call: Call): Promise<unknown> {
  const { emu, params, version } = call;
  const bucketId = params.reqStr('bucketId');
  const fileName = fileNameParam(call);
  emu.require(call, 'writeFiles', { bucketId, fileName });
  emu.bucket(bucketId);
  const cur = currentVersion(emu.meta.indexes.get(bucketId)?.versions.get(fileName));
  if (!cur) throw b2Fail('no_such_file', `File not present: ${fileName}`);
  if (cur.action === 'hide') throw b2Fail('already_hidden', `File already hidden: ${fileName}`);
  const now = emu.controls.now();
  const seq = emu.meta.takeSeq();
  const marker: StoredFile = {
    fileId: newFileId(bucketId, false, seq, now),
    seq,
    bucketId,
    fileName,
    action: 'hide',
    contentLength: 0,
    contentSha1: null,
    contentMd5: null,
    contentType: null,
    fileInfo: {},
    uploadTimestamp: now,
    segments: [],
  };
  await emu.meta.commit({ t: 'file', f: marker });
  emu.notify('b2:HideMarkerCreated:Hide', marker);
  return fileShape(marker, version, emu.accountId);
}

export async function deleteFileVersion(call: Call): Promise<unknown> {
  const { emu, params } = call;
  const fileName = params.reqStr('fileName');
  const fileId = params.reqStr('fileId');
  params.bool('bypassGovernance');
  const f = emu.meta.files.get(fileId);
  if (f) emu.require(call, 'deleteFiles', { bucketId: f.bucketId, fileName: f.fileName });
  else emu.require(call, 'deleteFiles', { fileName });
  if (!f || f.fileName !== fileName) throw b2Fail('file_not_present', `File not present: ${fileName} ${fileId}`);
  await emu.meta.commit({ t: '-file', id: fileId });
  // Cancelling an unfinished large file this way is no object event (unconfirmed).
  if (f.action !== 'start') emu.notify('b2:ObjectDeleted:Delete', f);
  return { fileId, fileName };
}

export function getFileInfo(call: Call): unknown {
  const { emu, params, version } = call;
  const fileId = params.reqStr('fileId');
  const p = emu.accountToken(call);
  const f = emu.file(fileId);
  emu.allow(p.key, 'readFiles', { bucketId: f.bucketId, fileName: f.fileName });
  return fileShape(f, version, emu.accountId);
}

export function getDownloadAuthorization(call: Call): unknown {
  const { emu, params } = call;
  const bucketId = params.reqStr('bucketId');
  const fileNamePrefix = params.str('fileNamePrefix');
  if (fileNamePrefix === undefined) throw b2Fail('bad_request', 'required field fileNamePrefix is missing');
  const { key } = emu.require(call, 'shareFiles', { bucketId, prefix: fileNamePrefix });
  const seconds = params.reqInt('validDurationInSeconds');
  if (seconds < LIMITS.minDownloadAuthSeconds || seconds > LIMITS.maxDownloadAuthSeconds)
    throw b2Fail(
      'bad_request',
      `validDurationInSeconds must be between ${LIMITS.minDownloadAuthSeconds} and ${LIMITS.maxDownloadAuthSeconds}`,
    );
  emu.bucket(bucketId);
  const pins: Record<string, string> = {};
  for (const name of Object.keys(DOWNLOAD_OVERRIDES)) {
    const v = params.str(name);
    if (v === undefined) continue;
    checkOverride(name, v);
    pins[name] = v;
  }
  const authorizationToken = emu.tokens.issue(emu.accountId, {
    kind: 'download',
    keyId: key.applicationKeyId,
    expiresAt: Date.now() + seconds * 1000,
    bucketId,
    prefix: fileNamePrefix,
    pins,
  });
  return { bucketId, fileNamePrefix, authorizationToken };
}
