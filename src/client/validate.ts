/** Checks made before any call: file names, file info, the header budget, listing page sizes. */
import { LimitError, UsageError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { headerBudgetProblem, infoKeyProblem } from '../wire/headers.js';
import { fileNameProblem } from '../wire/names.js';

/** Throws UsageError (bad characters) or LimitError (too long) when B2 would refuse the name. */
export function checkFileName(name: string): void {
  const problem = fileNameProblem(name);
  if (problem === undefined) return;
  const shown =
    typeof name === 'string' && name.length > 80 ? `${JSON.stringify(name.slice(0, 60))}…` : JSON.stringify(name);
  if (/bytes; the limit/.test(problem)) throw new LimitError(`${problem}: shorten the file name ${shown}`);
  throw new UsageError(`${problem}: ${shown}`);
}

/** Does this info still fit B2's limits (entry count and the header budget)? The quiet form of the checks below. */
export function infoFits(name: string, info: Record<string, string>): boolean {
  return Object.keys(info).length <= LIMITS.maxFileInfoEntries && headerBudgetProblem(name, info) === undefined;
}

/** Name, info keys, info count and the 7000-byte header budget, with a message that says what to shorten. */
export function checkFileMetadata(name: string, info: Record<string, string> = {}): void {
  checkFileName(name);
  const keys = Object.keys(info);
  if (keys.length > LIMITS.maxFileInfoEntries) {
    throw new LimitError(
      `${keys.length} file info entries for ${JSON.stringify(name)}; B2 allows ${LIMITS.maxFileInfoEntries}: drop some metadata`,
    );
  }
  for (const k of keys) {
    const p = infoKeyProblem(k);
    if (p) throw new UsageError(p);
    if (typeof info[k] !== 'string') throw new UsageError(`file info "${k}" must be a string`);
  }
  const budget = headerBudgetProblem(name, info);
  if (budget) throw new LimitError(`${JSON.stringify(name.length > 80 ? name.slice(0, 60) + '…' : name)}: ${budget}`);
}

/** A listing page size within 1..max (default when undefined). */
export function checkPageSize(size: number | undefined, max: number, fallback: number): number {
  if (size === undefined) return Math.min(fallback, max);
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new UsageError(`page size must be an integer from 1 to ${max}, got ${size}`);
  return size;
}

/** Throws UsageError unless n is a part number B2 takes (1..10,000). */
export function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxParts) {
    throw new UsageError(`part number must be 1..${LIMITS.maxParts}, got ${n}`);
  }
}
