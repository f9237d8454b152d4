/** Option-value parsers for commander: each returns the typed value or throws InvalidArgumentError. Pure. */
import { InvalidArgumentError } from 'commander';
import { parseDurationMs, parseSize } from '../core/parse.js';
import { parsePointInTime } from '../core/point-in-time.js';
import { parseBwLimit, type BwSchedule } from '../core/bandwidth.js';
import { parseShard } from '../sync/shard.js';

/** A whole number within [min, max]. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** A size: 1024, 10M, 1.5GiB, 100MB. */
export function sizeOption(value: string): number {
  const n = parseSize(value);
  if (n === undefined) throw new InvalidArgumentError('expected a size such as 1024, 10M, 1.5G or 100MB.');
  return n;
}

/** A duration in ms: 90s, 1h30m, 7d; a bare number is seconds. */
export function durationOption(value: string): number {
  const n = parseDurationMs(value);
  if (n === undefined) throw new InvalidArgumentError('expected a duration such as 30s, 15m, 1h30m or 7d.');
  return n;
}

/** --at: a moment in the past (ISO 8601, or an age such as 3d, 12h, 90m), as ms since the epoch. */
export function pointInTimeOption(value: string): number {
  const now = Date.now();
  const ms = parsePointInTime(value, now);
  if (ms === undefined)
    throw new InvalidArgumentError('expected a time such as 2026-12-01T08:00:00Z or an age such as 3d, 12h or 90m.');
  if (ms > now) throw new InvalidArgumentError('the time is in the future.');
  return ms;
}

/** --bwlimit: RATE, UP:DOWN, or a timetable "HH:MM,RATE ..." (core/bandwidth.ts). */
export function bwLimitOption(value: string): BwSchedule | undefined {
  const s = parseBwLimit(value);
  if (!s)
    throw new InvalidArgumentError('expected a rate such as 10M, 10M:50M or off, or a timetable "08:00,1M 19:00,off".');
  return s.every((x) => x.up === undefined && x.down === undefined) ? undefined : s;
}

/** --shard i/n: 1 ≤ i ≤ n ≤ 10000. */
export function shardOption(value: string): { index: number; count: number } {
  const s = parseShard(value);
  if (!s) throw new InvalidArgumentError('expected i/n with 1 <= i <= n <= 10000, such as 1/4.');
  return s;
}

/** Repeatable option collector. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Repeatable key=value collector (file info). */
export function keyValue(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE.');
  return { ...(previous ?? {}), [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    return value as T;
  };
}
