/**
 * Filter rules: ordered include/exclude globs (first match wins), plus size and age bounds.
 * Built from CLI flag values or a --filter-from file ("+ pattern", "- pattern", "# comment").
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { parseDurationMs, parseSize } from '../core/parse.js';
import { compileGlob, globMatchesFile, type CompiledGlob } from './glob.js';

export interface FilterRule {
  include: boolean;
  pattern: string;
}

export interface FilterRules {
  /** Ordered; the first rule whose glob matches decides. A path no rule matches is included. */
  rules?: FilterRule[];
  /** Only files of at least this many bytes. */
  minSize?: number;
  /** Only files of at most this many bytes. */
  maxSize?: number;
  /** Only files modified at least this long ago (ms). */
  minAgeMs?: number;
  /** Only files modified at most this long ago (ms). */
  maxAgeMs?: number;
}

/** Parse the lines of a filter file: "+ glob", "- glob", "# comment", blank lines. */
export function parseFilterLines(text: string, source = 'filter file'): FilterRule[] {
  const rules: FilterRule[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const m = /^([+-])\s+(.+)$/.exec(line);
    if (!m)
      throw new UsageError(
        `${source} line ${idx + 1}: expected "+ pattern" or "- pattern", got ${JSON.stringify(raw)}`,
      );
    rules.push({ include: m[1] === '+', pattern: m[2] });
  });
  return rules;
}

export interface FilterFlags {
  include?: string[];
  exclude?: string[];
  /** Contents of --filter-from files, in order. */
  filterFromText?: string[];
  minSize?: string | number;
  maxSize?: string | number;
  minAge?: string | number;
  maxAge?: string | number;
}

/**
 * Build rules from CLI flag values. Order (as rclone): filter-from rules, then --exclude, then --include;
 * any --include adds a final "- **" (include implies exclude everything else).
 * Sizes accept "10M", "1.5GiB"; ages accept "30s", "7d" (numbers are taken as bytes / ms).
 */
export function buildFilterRules(flags: FilterFlags): FilterRules {
  const rules: FilterRule[] = [];
  for (const text of flags.filterFromText ?? []) rules.push(...parseFilterLines(text));
  for (const p of flags.exclude ?? []) rules.push({ include: false, pattern: p });
  for (const p of flags.include ?? []) rules.push({ include: true, pattern: p });
  if ((flags.include ?? []).length > 0) rules.push({ include: false, pattern: '**' });
  for (const r of rules) {
    try {
      compileGlob(r.pattern);
    } catch (e) {
      throw new UsageError(`bad filter pattern: ${(e as Error).message}`);
    }
  }
  const out: FilterRules = { rules };
  const size = (v: string | number | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : parseSize(v);
    if (n === undefined || n < 0) throw new UsageError(`${flag}: cannot parse size ${JSON.stringify(v)}`);
    return n;
  };
  const age = (v: string | number | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : parseDurationMs(v);
    if (n === undefined || n < 0) throw new UsageError(`${flag}: cannot parse duration ${JSON.stringify(v)}`);
    return n;
  };
  out.minSize = size(flags.minSize, '--min-size');
  out.maxSize = size(flags.maxSize, '--max-size');
  out.minAgeMs = age(flags.minAge, '--min-age');
  out.maxAgeMs = age(flags.maxAge, '--max-age');
  return out;
}

/** Read --filter-from files and build the rules (CLI convenience). */
export async function loadFilterRules(
  flags: Omit<FilterFlags, 'filterFromText'> & { filterFrom?: string[] },
): Promise<FilterRules> {
  const texts: string[] = [];
  for (const f of flags.filterFrom ?? []) {
    try {
      texts.push(await readFile(f, 'utf8'));
    } catch (e) {
      throw new UsageError(`--filter-from ${f}: ${(e as Error).message}`);
    }
  }
  return buildFilterRules({ ...flags, filterFromText: texts });
}

/** Compiled rules, applied to every entry on both sides. */
export class Filter {
  private readonly compiled: { include: boolean; glob: CompiledGlob }[];
  constructor(
    private readonly rules: FilterRules = {},
    private readonly now: number = Date.now(),
  ) {
    this.compiled = (rules.rules ?? []).map((r) => ({ include: r.include, glob: compileGlob(r.pattern) }));
  }

  /** True when no rule, size or age bound is set. */
  get empty(): boolean {
    const r = this.rules;
    return (
      this.compiled.length === 0 &&
      r.minSize === undefined &&
      r.maxSize === undefined &&
      r.minAgeMs === undefined &&
      r.maxAgeMs === undefined
    );
  }

  /** Does the path pass the glob rules? */
  pathIncluded(path: string): boolean {
    for (const r of this.compiled) if (globMatchesFile(r.glob, path)) return r.include;
    return true;
  }

  /** Does a file pass every rule? */
  includes(path: string, size: number, mtimeMs: number): boolean {
    const r = this.rules;
    if (r.minSize !== undefined && size < r.minSize) return false;
    if (r.maxSize !== undefined && size > r.maxSize) return false;
    const age = this.now - mtimeMs;
    if (r.minAgeMs !== undefined && age < r.minAgeMs) return false;
    if (r.maxAgeMs !== undefined && age > r.maxAgeMs) return false;
    return this.pathIncluded(path);
  }
}
