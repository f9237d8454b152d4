/** Redaction of tokens and keys for call logs (--verbose). */

const REDACTED = '<redacted>';

/** Replace the value of an Authorization query parameter in a URL. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]Authorization=)[^&#]*/gi, `$1${REDACTED}`);
}

/** Redact an Authorization header value (token or Basic credentials). */
export function redactAuthorization(value: string): string {
  if (/^basic\s/i.test(value)) return `Basic ${REDACTED}`;
  return REDACTED;
}

/** Remove every known secret (tokens, keys, Basic credentials) from free text such as error messages. */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = redactUrl(text);
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out.replace(/(Basic\s+)[A-Za-z0-9+/=]{8,}/g, `$1${REDACTED}`);
}
