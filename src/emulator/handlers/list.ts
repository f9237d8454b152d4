/** b2_list_file_names, b2_list_file_versions, b2_list_unfinished_large_files (b2-api.md §7.7, §9). */
import { LIMITS } from '../../core/limits.js';
import { b2Fail } from '../errors.js';
import type { Call } from '../emulator.js';
import { fileIdSeq } from '../ids.js';
import { listFiles, type ListEntry } from '../listing.js';
import { fileShape, folderShape } from '../shapes.js';

/** The effective listing prefix under a prefix-restricted key, or undefined when nothing can match (v1). */
function restrictPrefix(call: Call, keyPrefix: string | null, prefix: string): string | undefined {
  if (!keyPrefix || prefix.startsWith(keyPrefix)) return prefix;
  // v1 (Aug 2018 workaround) narrows silently; v2+ refuse.
  if (call.version === 'v1') return keyPrefix.startsWith(prefix) ? keyPrefix : undefined;
  throw b2Fail('unauthorized', `application key is restricted to names starting with ${keyPrefix}`);
}

function listCommon(call: Call, versions: boolean): unknown {
  const { emu, params, version } = call;
  const bucketId = params.reqStr('bucketId');
  const { key } = emu.require(call, 'listFiles', { bucketId });
  const maxParam = params.int('maxFileCount') ?? 0;
  if (maxParam < 0 || maxParam > LIMITS.maxListCount)
    throw b2Fail('out_of_range', `maxFileCount out of range: ${maxParam} (must be 0 to ${LIMITS.maxListCount})`);
  const max = maxParam === 0 ? LIMITS.defaultListCount : maxParam;
  const startFileName = params.str('startFileName');
  const startFileId = versions ? params.str('startFileId') : undefined;
  const delimiter = params.str('delimiter') || undefined;
  let startSeq: number | undefined;
  if (startFileId !== undefined) {
    if (startFileName === undefined) throw b2Fail('bad_request', 'startFileId requires startFileName');
    startSeq = emu.meta.files.get(startFileId)?.seq ?? fileIdSeq(startFileId);
    if (startSeq === undefined) throw b2Fail('invalid_file_id', `Invalid startFileId: ${startFileId}`);
  }
  emu.bucket(bucketId);
  const prefix = restrictPrefix(call, key.namePrefix, params.str('prefix') ?? '');
  const ix = emu.meta.indexes.get(bucketId);
  const page =
    prefix === undefined || !ix
      ? { entries: [], next: undefined }
      : listFiles(ix, { prefix, delimiter, startFileName, startSeq, max }, versions);
  call.returned = page.entries.length;
  const shape = (e: ListEntry) =>
    e.folder !== undefined
      ? folderShape(bucketId, e.folder, version, emu.accountId)
      : fileShape(e.file, version, emu.accountId);
  const files = page.entries.map(shape);
  const next = page.next;
  const nextFileName = next ? (next.folder ?? next.file.fileName) : null;
  if (!versions) return { files, nextFileName };
  return { files, nextFileName, nextFileId: next?.file ? next.file.fileId : null };
}

export function listFileNames(call: Call): unknown {
  return listCommon(call, false);
}

export function listFileVersions(call: Call): unknown {
  return listCommon(call, true);
}

export function listUnfinishedLargeFiles(call: Call): unknown {
  const { emu, params, version } = call;
  const bucketId = params.reqStr('bucketId');
  const { key } = emu.require(call, 'listFiles', { bucketId });
  emu.bucket(bucketId);
  let namePrefix = params.str('namePrefix') ?? '';
  const restricted = restrictPrefix(call, key.namePrefix, namePrefix);
  const max = params.int('maxFileCount') ?? LIMITS.maxUnfinishedCount;
  if (max < 1 || max > LIMITS.maxUnfinishedCount)
    throw b2Fail('out_of_range', `maxFileCount out of range: ${max} (must be 1 to ${LIMITS.maxUnfinishedCount})`);
  const startFileId = params.str('startFileId');
  let startSeq = 0;
  if (startFileId !== undefined) {
    const seq = emu.meta.files.get(startFileId)?.seq ?? fileIdSeq(startFileId);
    if (seq === undefined) throw b2Fail('bad_request', `Invalid startFileId: ${startFileId}`);
    startSeq = seq;
  }
  const files: unknown[] = [];
  let nextFileId: string | null = null;
  if (restricted !== undefined) {
    namePrefix = restricted;
    for (const f of emu.meta.indexes.get(bucketId)?.unfinished.values() ?? []) {
      if (f.seq < startSeq || !f.fileName.startsWith(namePrefix)) continue;
      if (files.length >= max) {
        nextFileId = f.fileId;
        break;
      }
      files.push(fileShape(f, version, emu.accountId));
    }
  }
  call.returned = files.length;
  return { files, nextFileId };
}
