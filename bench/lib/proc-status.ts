/** Memory figures of a process from /proc/<pid>/status (Linux only). */
import { readFileSync } from 'node:fs';

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since start (VmHWM), bytes. */
  peakRss: number;
}

/** Undefined where /proc is missing (not Linux) or the process is gone. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

/** CPU time (user + system) a process has used so far, in seconds; undefined where /proc is missing. */
export function readProcCpuSeconds(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every mainstream Linux build (getconf CLK_TCK). */
const CLOCK_TICKS = 100;
