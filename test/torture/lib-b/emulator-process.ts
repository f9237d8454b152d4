/** The emulator as its own process (`b2sync emulator --port 0 --json`), so its RSS can be sampled from /proc. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { BIN } from '../../cli/harness.js';

export interface EmulatorProcess {
  child: ChildProcess;
  pid: number;
  endpoint: string;
  keyId: string;
  applicationKey: string;
  /** Resident set size now, bytes (VmRSS of /proc/<pid>/status). */
  rss(): Promise<number>;
  counters(): Promise<{ calls: Record<string, number> }>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(args: string[] = []): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`emulator exited with ${code} before listening`)));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
  });
  const j = JSON.parse(first) as { endpoint: string; keyId: string; applicationKey: string };
  const pid = child.pid!;
  return {
    child,
    pid,
    ...j,
    async rss() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
      return m ? Number(m[1]) * 1024 : NaN;
    },
    async counters() {
      return (await (await fetch(`${j.endpoint}/__b2sync__/counters`)).json()) as { calls: Record<string, number> };
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
