/**
 * The name a conflict's losing version is kept under: `<stem>.conflict-<UTC yyyymmdd-hhmmss>-<side><.ext>`.
 * The extension runs from the last '.' of the base name; a base name whose only '.' is its first
 * character (".bashrc") has none.
 */
import type { SideName } from './types.js';

const two = (n: number) => String(n).padStart(2, '0');

/** UTC yyyymmdd-hhmmss of a time in ms since the epoch. */
export function conflictStamp(now: number): string {
  const d = new Date(now);
  const day = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
  return `${day}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
}

/** The conflict name for `path`, whose losing version came from `side`, stamped with `now`. */
export function conflictName(path: string, side: SideName, now: number): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  const hasExt = dot > slash + 1;
  const stem = hasExt ? path.slice(0, dot) : path;
  const ext = hasExt ? path.slice(dot) : '';
  return `${stem}.conflict-${conflictStamp(now)}-${side}${ext}`;
}
