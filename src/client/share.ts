/** get_download_authorization duration clamping and by-name download URLs (b2-api.md §11, §12). */
import { LIMITS } from '../core/limits.js';
import { b2Encode } from '../wire/names.js';

export interface ClampedDuration {
  seconds: number;
  /** True when the requested value was outside 1..604800 (or not a whole number) and was changed. */
  clamped: boolean;
  requested: number;
}

/** Clamp validDurationInSeconds to B2's 1 s .. 7 d. Non-integers round down; NaN becomes the minimum. */
export function clampDownloadDuration(requested: number): ClampedDuration {
  let s = Number.isFinite(requested)
    ? Math.floor(requested)
    : Number.isNaN(requested)
      ? LIMITS.minDownloadAuthSeconds
      : requested;
  if (s === Infinity) s = LIMITS.maxDownloadAuthSeconds;
  if (s === -Infinity) s = LIMITS.minDownloadAuthSeconds;
  s = Math.min(LIMITS.maxDownloadAuthSeconds, Math.max(LIMITS.minDownloadAuthSeconds, s));
  return { seconds: s, clamped: s !== requested, requested };
}

/** `{downloadUrl}/file/{bucket}/{name}` with B2's encoding ('/' kept, space %20, '+' %2B, UTF-8 bytes). */
export function byNameUrl(downloadUrl: string, bucketName: string, fileName: string): string {
  return `${downloadUrl.replace(/\/+$/, '')}/file/${b2Encode(bucketName)}/${b2Encode(fileName)}`;
}

/** Append query parameters encoded the B2 way (the Authorization token, b2Content* overrides). */
export function withQuery(url: string, params: Record<string, string | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    parts.push(`${k}=${b2Encode(v).replace(/[/&=?#]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}`);
  }
  if (parts.length === 0) return url;
  return url + (url.includes('?') ? '&' : '?') + parts.join('&');
}

/** A share URL: the by-name URL, plus `?Authorization=<token>` when a token is given. */
export function shareUrl(downloadUrl: string, bucketName: string, fileName: string, token?: string): string {
  return withQuery(byNameUrl(downloadUrl, bucketName, fileName), { Authorization: token });
}
