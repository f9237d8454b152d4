/**
 * Secrets known to this run (application keys), scrubbed from everything written out, plus any Basic
 * credentials. Share links carry download-authorization tokens on purpose, so Authorization= query
 * values are not touched here (the client's call logs redact those itself).
 */
const known = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) known.add(secret);
}

export function scrub(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join('<redacted>');
  return out.replace(/(Basic\s+)[A-Za-z0-9+/=]{8,}/g, '$1<redacted>');
}
