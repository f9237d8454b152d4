/** Identifier and token minting. Every id is opaque to clients but shaped like B2's (b2-api.md §1.4). */
import { randomBytes } from 'node:crypto';

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function newBucketId(): string {
  return randomHex(12);
}

/** Application key ids look like B2's: "00" + account id + "00000000" + 6 hex → 28 chars. */
export function newApplicationKeyId(accountId: string): string {
  return `00${accountId}0000${randomHex(5)}`;
}

/** 31-character secret, as B2's: "K00" + 28 url-safe characters. */
export function newApplicationKey(): string {
  return 'K00' + randomBytes(21).toString('base64url').slice(0, 28);
}

/** Tokens use only [0-9A-Za-z_-] so they travel unescaped in headers and query strings. */
export function newToken(kind: string, accountId: string): string {
  return `4_${accountId}_${randomBytes(18).toString('base64url')}_${kind}`;
}

const FILE_ID = /^4_z([0-9a-f]{24})_f([12])([0-9a-f]{12})[0-9a-f]*_d\d{8}_m\d{6}_c\d{3}_v\d{7}_t\d{4}$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * fileId = 4_z<bucketId>_f<1 small | 2 large><seq 12 hex><rand 8 hex>_d<yyyymmdd>_m<hhmmss>_c000_v0001000_t0001.
 * The sequence number orders versions (newest = highest) and lets a listing resume from a deleted id.
 */
export function newFileId(bucketId: string, large: boolean, seq: number, now: number): string {
  const d = new Date(now);
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
  const s = seq.toString(16).padStart(12, '0');
  return `4_z${bucketId}_f${large ? 2 : 1}${s}${randomHex(4)}_d${date}_m${time}_c000_v0001000_t0001`;
}

/** The sequence number in a fileId minted here, or undefined when the id is not one of ours. */
export function fileIdSeq(fileId: string): number | undefined {
  const m = FILE_ID.exec(fileId);
  return m ? parseInt(m[3], 16) : undefined;
}
