/** The name a conflict's losing version is kept under: `<stem>.conflict-<UTC yyyymmdd-hhmmss>-<side><.ext>`. */
import type { SideName } from './types.js';

function stamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-` +
    `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`
  );
}

/** "a/b.tar.gz" → "a/b.tar.conflict-20261207-130501-path1.gz"; ".bashrc" keeps no extension. */
export function conflictName(path: string, nowMs: number, side: SideName): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  return `${dir}${stem}.conflict-${stamp(nowMs)}-${side}${ext}`;
}
