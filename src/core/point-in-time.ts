/** Parsing of a point in time for --at: ISO 8601 ("2026-12-01", "2026-12-01T08:30:00Z") or an age ("3d", "12h"). Pure. */
import { parseDurationMs } from './parse.js';

/** Date, optional time (minutes, seconds, fraction), optional zone; a date alone is midnight UTC. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Milliseconds since the epoch for an --at value, or undefined when it is neither form. A relative
 * value is that long before `now`. Times without a zone are read as local time (as Date does),
 * except a bare date, which is UTC midnight.
 */
export function parsePointInTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (ISO.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : undefined;
  }
  // A bare number would be seconds for a duration; as a time that is ambiguous, so a unit is required.
  if (/^\d+(\.\d+)?$/.test(t)) return undefined;
  const age = parseDurationMs(t);
  return age === undefined ? undefined : now - age;
}
