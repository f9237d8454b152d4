/** X-Bz-* header names (lower-case, as node presents them) and the header budget rule. */
import { LIMITS } from '../core/limits.js';
import { b2Encode } from './names.js';

export const H = {
  authorization: 'authorization',
  fileName: 'x-bz-file-name',
  fileId: 'x-bz-file-id',
  contentSha1: 'x-bz-content-sha1',
  partNumber: 'x-bz-part-number',
  uploadTimestamp: 'x-bz-upload-timestamp',
  infoPrefix: 'x-bz-info-',
  testMode: 'x-bz-test-mode',
  customUploadTimestamp: 'x-bz-custom-upload-timestamp',
  serverSideEncryption: 'x-bz-server-side-encryption',
  contentType: 'content-type',
  contentLength: 'content-length',
  contentRange: 'content-range',
  range: 'range',
  retryAfter: 'retry-after',
} as const;

/** Values of X-Bz-Content-Sha1 besides a 40-hex digest. */
export const SHA1_AT_END = 'hex_digits_at_end';
export const SHA1_DO_NOT_VERIFY = 'do_not_verify';

/** The well-known info keys. */
export const INFO_SRC_LAST_MODIFIED = 'src_last_modified_millis';
export const INFO_LARGE_FILE_SHA1 = 'large_file_sha1';

/** b2-* info keys and the download header each becomes. */
export const B2_INFO_HEADERS: Record<string, string> = {
  'b2-content-disposition': 'content-disposition',
  'b2-content-language': 'content-language',
  'b2-expires': 'expires',
  'b2-cache-control': 'cache-control',
  'b2-content-encoding': 'content-encoding',
};

/** Query parameters that override download response headers. */
export const DOWNLOAD_OVERRIDES: Record<string, string> = {
  b2ContentDisposition: 'content-disposition',
  b2ContentLanguage: 'content-language',
  b2Expires: 'expires',
  b2CacheControl: 'cache-control',
  b2ContentEncoding: 'content-encoding',
  b2ContentType: 'content-type',
};

/** Bytes of header that a file name plus its info take on the wire (full encoded lines incl. CR LF). */
export function headerBytes(fileName: string, info: Record<string, string>): number {
  let total = `X-Bz-File-Name: ${b2Encode(fileName)}\r\n`.length;
  for (const [k, v] of Object.entries(info)) total += `X-Bz-Info-${k}: ${b2Encode(v)}\r\n`.length;
  return total;
}

/** Why name + info exceed the budget (with what to shorten), or undefined. */
export function headerBudgetProblem(
  fileName: string,
  info: Record<string, string>,
  budget: number = LIMITS.headerBudgetBytes,
): string | undefined {
  const used = headerBytes(fileName, info);
  if (used <= budget) return undefined;
  const nameBytes = `X-Bz-File-Name: ${b2Encode(fileName)}\r\n`.length;
  return (
    `file name and metadata take ${used} bytes of headers, over B2's ${budget}-byte limit ` +
    `(name ${nameBytes} bytes encoded, metadata ${used - nameBytes} bytes): shorten the file name or drop metadata`
  );
}

/** File-info key rule: ≤ 50 bytes of letters, digits and - _ . ` ~ ! # $ % ^ & * ' | +. */
export function infoKeyProblem(key: string): string | undefined {
  if (!key) return 'file info names must not be empty';
  if (Buffer.byteLength(key) > LIMITS.maxFileInfoNameBytes) return `file info name "${key}" is over 50 bytes`;
  if (!/^[A-Za-z0-9\-_.`~!#$%^&*'|+]+$/.test(key)) return `file info name "${key}" has characters B2 does not allow`;
  if (key.toLowerCase().startsWith('b2-') && !(key.toLowerCase() in B2_INFO_HEADERS))
    return `file info name "${key}" uses the reserved b2- prefix`;
  return undefined;
}
