/**
 * The B2 side: a streaming listing of the newest visible version of each name under a prefix
 * (one b2_list_file_names call per 10,000 files), plus the prefix rules.
 */
import type { B2Api } from '../../client/api.js';
import { normalizeSha1 } from '../../core/sha1.js';
import type { FileVersion } from '../../wire/types.js';
import type { Entry } from '../types.js';
import { singles } from '../march.js';
import { EMPTY_DIR_MARKER } from './local.js';

export const LIST_PAGE_SIZE = 10_000;
export const INFO_SRC_MTIME = 'src_last_modified_millis';
export const INFO_LARGE_SHA1 = 'large_file_sha1';

/** "" stays ""; "dir" and "dir/" become "dir/"; leading slashes are dropped. */
export function normalizePrefix(prefix: string): string {
  let p = prefix.replace(/^\/+/, '');
  if (p !== '' && !p.endsWith('/')) p += '/';
  return p;
}

/** The file's modification time: src_last_modified_millis when valid, else its upload time. */
export function remoteMtime(fv: Pick<FileVersion, 'fileInfo' | 'uploadTimestamp'>): {
  mtimeMs: number;
  fromInfo: boolean;
} {
  const raw = fv.fileInfo?.[INFO_SRC_MTIME];
  if (raw !== undefined && /^\d{1,16}$/.test(raw)) return { mtimeMs: Number(raw), fromInfo: true };
  return { mtimeMs: fv.uploadTimestamp, fromInfo: false };
}

export function entryFromVersion(fv: FileVersion, prefix: string): Entry | undefined {
  if (fv.action !== 'upload' || !fv.fileId) return undefined;
  if (!fv.fileName.startsWith(prefix)) return undefined;
  const path = fv.fileName.slice(prefix.length);
  if (path === '') return undefined;
  const base = path.slice(path.lastIndexOf('/') + 1);
  const { mtimeMs, fromInfo } = remoteMtime(fv);
  const size = fv.contentLength ?? fv.size ?? 0;
  const sha1 = normalizeSha1(fv.contentSha1) ?? normalizeSha1(fv.fileInfo?.[INFO_LARGE_SHA1]);
  return {
    path,
    size,
    mtimeMs,
    fileId: fv.fileId,
    sha1,
    contentType: fv.contentType ?? undefined,
    info: fv.fileInfo ?? {},
    hasSrcMtime: fromInfo,
    kind: base === EMPTY_DIR_MARKER ? 'marker' : 'file',
  };
}

/**
 * List files under prefix in B2 order, in batches (never empty): one per network chunk of a listing page,
 * when the client lists that way. .bzEmpty markers are yielded only when asked for.
 */
export async function* listB2Batches(
  client: B2Api,
  bucketId: string,
  prefix: string,
  opts: { markers?: boolean; signal?: AbortSignal } = {},
): AsyncGenerator<Entry[]> {
  const query = { prefix, pageSize: LIST_PAGE_SIZE, signal: opts.signal };
  const pages = client.listFileNameBatches
    ? client.listFileNameBatches(bucketId, query)
    : singles(client.listFileNames(bucketId, query));
  const markers = opts.markers === true;
  for await (const fvs of pages) {
    const out: Entry[] = [];
    for (let i = 0; i < fvs.length; i++) {
      const e = entryFromVersion(fvs[i], prefix);
      if (e && (markers || e.kind !== 'marker')) out.push(e);
    }
    if (out.length > 0) yield out;
  }
}
