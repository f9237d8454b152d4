/**
 * Value grammars for the b2-* file info keys and the b2Content* overrides (b2-api.md §5.4, §12):
 * RFC 6266 Content-Disposition (no parameter continuations; filename* only as UTF-8 with an empty
 * language), RFC 2616 HTTP-date, language tags, content-codings and cache directives.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTED = /^"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\x00-\x7f])*"$/;

/** Split on `sep` outside quoted strings; undefined when a quote is left open. */
function splitOutsideQuotes(value: string, sep: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      cur += ch;
      if (ch === '\\' && i + 1 < value.length) cur += value[++i];
      else if (ch === '"') quoted = false;
    } else if (ch === '"') {
      quoted = true;
      cur += ch;
    } else if (ch === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (quoted) return undefined;
  out.push(cur.trim());
  return out;
}

/** 1#element: comma-separated, none empty, each passing `ok`. */
function listOf(value: string, ok: (item: string) => boolean): boolean {
  const items = splitOutsideQuotes(value, ',');
  return !!items && items.every((item) => item.length > 0 && ok(item));
}

const EXT_VALUE = /^([^']*)'([^']*)'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*)$/;

/** RFC 6266 Content-Disposition; with `allowExtended` false no `name*` parameter is accepted at all. */
export function contentDispositionOk(value: string, allowExtended = true): boolean {
  const parts = splitOutsideQuotes(value, ';');
  if (!parts || !TOKEN.test(parts[0])) return false;
  for (const parm of parts.slice(1)) {
    const eq = parm.indexOf('=');
    if (eq <= 0) return false;
    const name = parm.slice(0, eq).trim();
    const val = parm.slice(eq + 1).trim();
    if (name.endsWith('*')) {
      const base = name.slice(0, -1);
      if (!allowExtended || !TOKEN.test(base) || /\*\d+$/.test(base)) return false;
      const m = EXT_VALUE.exec(val);
      if (!m || m[1].toUpperCase() !== 'UTF-8' || m[2] !== '') return false;
    } else {
      if (!TOKEN.test(name) || /\*\d+$/.test(name)) return false;
      if (!TOKEN.test(val) && !QUOTED.test(val)) return false;
    }
  }
  return true;
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const WEEKDAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d';
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT` + // RFC 1123
    `|${WEEKDAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT` + // RFC 850
    `|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`, // asctime
);

export function httpDateOk(value: string): boolean {
  return HTTP_DATE.test(value);
}

export function contentLanguageOk(value: string): boolean {
  return listOf(value, (tag) => /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(tag));
}

export function contentEncodingOk(value: string): boolean {
  return listOf(value, (coding) => TOKEN.test(coding));
}

export function cacheControlOk(value: string): boolean {
  return listOf(value, (directive) => {
    const eq = directive.indexOf('=');
    if (eq < 0) return TOKEN.test(directive);
    const v = directive.slice(eq + 1).trim();
    return TOKEN.test(directive.slice(0, eq).trim()) && (TOKEN.test(v) || QUOTED.test(v));
  });
}

/** A media type: type/subtype with optional parameters. */
export function contentTypeOk(value: string): boolean {
  const parts = splitOutsideQuotes(value, ';');
  if (!parts || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(parts[0])) return false;
  return parts.slice(1).every((p) => {
    const eq = p.indexOf('=');
    const v = p.slice(eq + 1).trim();
    return eq > 0 && TOKEN.test(p.slice(0, eq).trim()) && (TOKEN.test(v) || QUOTED.test(v));
  });
}

/** The grammar check for each b2-* info key. */
export const B2_INFO_GRAMMAR: Record<string, (value: string) => boolean> = {
  'b2-content-disposition': (v) => contentDispositionOk(v),
  'b2-content-language': contentLanguageOk,
  'b2-expires': httpDateOk,
  'b2-cache-control': cacheControlOk,
  'b2-content-encoding': contentEncodingOk,
};

/** The grammar check for each b2Content* override parameter (no `name*` parameters, as B2 asks). */
export const OVERRIDE_GRAMMAR: Record<string, (value: string) => boolean> = {
  b2ContentDisposition: (v) => contentDispositionOk(v, false),
  b2ContentLanguage: contentLanguageOk,
  b2Expires: httpDateOk,
  b2CacheControl: cacheControlOk,
  b2ContentEncoding: contentEncodingOk,
  b2ContentType: contentTypeOk,
};
