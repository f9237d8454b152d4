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
