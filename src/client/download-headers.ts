/** Parse a download response's headers (X-Bz-*, Content-Range) into DownloadResponse fields. */
import { B2Error } from '../core/errors.js';
import { H } from '../wire/headers.js';
import { b2Decode } from '../wire/names.js';
import type { DownloadResponse } from './api.js';

function decode(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return b2Decode(value);
  } catch {
    return value;
  }
}

/** Total size from `bytes a-b/total` (undefined when absent or `*`). */
export function contentRangeTotal(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^bytes\s+(?:\d+-\d+|\*)\/(\d+)$/i.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

export function parseDownloadHeaders(
  call: string,
  status: number,
  headers: Record<string, string>,
): Omit<DownloadResponse, 'body'> {
  const info: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith(H.infoPrefix)) info[k.slice(H.infoPrefix.length)] = decode(v);
  }
  const contentLength = Number(headers[H.contentLength] ?? NaN);
  if (!Number.isFinite(contentLength)) {
    throw new B2Error({ status, code: 'bad_response', message: `${call}: response lacks Content-Length`, call });
  }
  const total = status === 206 ? contentRangeTotal(headers[H.contentRange]) : undefined;
  return {
    status: status === 206 ? 206 : 200,
    fileId: headers[H.fileId] ?? '',
    fileName: decode(headers[H.fileName]),
    contentLength,
    totalLength: total ?? contentLength,
    contentType: headers[H.contentType] ?? 'application/octet-stream',
    contentSha1: headers[H.contentSha1] ?? 'none',
    uploadTimestamp: Number(headers[H.uploadTimestamp] ?? 0),
    info,
    headers,
  };
}
