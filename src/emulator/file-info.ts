/** File-info rules shared by uploads (X-Bz-Info-* headers) and JSON fileInfo (large files, copies). */
import { headerBudgetProblem, infoKeyProblem } from '../wire/headers.js';
import { fileNameProblem } from '../wire/names.js';
import { LIMITS } from '../core/limits.js';
import { b2Fail } from './errors.js';
import { AUTO_CONTENT_TYPE, autoContentType } from './content-types.js';
import { B2_INFO_GRAMMAR, OVERRIDE_GRAMMAR } from './header-grammar.js';

/** Validate a file name and its info (keys lower-cased, ≤ 10 entries, 7000-byte header budget). */
export function checkNameAndInfo(fileName: string, info: Record<string, string>): Record<string, string> {
  const nameProblem = fileNameProblem(fileName);
  if (nameProblem) throw b2Fail('bad_request', nameProblem);
  const out: Record<string, string> = {};
  const entries = Object.entries(info);
  if (entries.length > LIMITS.maxFileInfoEntries)
    throw b2Fail(
      'bad_request',
      `too many file info entries: ${entries.length} (the limit is ${LIMITS.maxFileInfoEntries})`,
    );
  for (const [k, v] of entries) {
    const key = k.toLowerCase();
    const problem = infoKeyProblem(key);
    if (problem) throw b2Fail('bad_request', problem);
    if (typeof v !== 'string') throw b2Fail('bad_request', `file info value for ${key} must be a string`);
    const grammar = B2_INFO_GRAMMAR[key];
    if (grammar && !grammar(v)) throw b2Fail('bad_request', `invalid value for ${key}: ${v}`);
    out[key] = v;
  }
  const budget = headerBudgetProblem(fileName, out);
  if (budget) throw b2Fail('bad_request', budget);
  return out;
}

/** The stored content type: b2/x-auto resolved from the name's extension. */
export function resolveContentType(contentType: string, fileName: string): string {
  return contentType.toLowerCase() === AUTO_CONTENT_TYPE ? autoContentType(fileName) : contentType;
}

/** Validate b2Content* override values (get_download_authorization, download query parameters). */
export function checkOverride(name: string, value: string): void {
  const grammar = OVERRIDE_GRAMMAR[name];
  if (grammar && !grammar(value)) throw b2Fail('bad_request', `invalid value for ${name}: ${value}`);
}
