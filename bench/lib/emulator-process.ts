/**
 * Start the emulator (bench/lib/emulator-child.ts) or the reference sink (bench/lib/sink-child.ts) as a
 * child process that prints one JSON line when ready, and watch its memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EmulatorOptions } from '../../src/emulator/api.js';
import { readProcCpuSeconds, readProcMemory, type ProcMemory } from './proc-status.js';

export interface ChildServer<T> {
  /** The JSON line the child printed. */
  info: T;
  pid: number;
  memory(): ProcMemory | undefined;
  /** CPU seconds (user + system) used so far; NaN where unknown. */
  cpuSeconds(): number;
  /** SIGTERM, wait for exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** The project root: `--import tsx` resolves from the child's cwd. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Run `node --import tsx bench/lib/<script> ...args` and wait for its first stdout line (JSON). */
export async function spawnChildServer<T>(script: string, args: string[]): Promise<ChildServer<T>> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', path, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => l as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited (${code}) before it was ready`);
    }),
  ]);
  const pid = child.pid ?? NaN;
  return {
    info: JSON.parse(first) as T,
    pid,
    memory: () => readProcMemory(pid),
    cpuSeconds: () => readProcCpuSeconds(pid) ?? NaN,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface EmulatorInfo {
  url: string;
  keyId: string;
  applicationKey: string;
}

/** The emulator alone in a child process. */
export function spawnEmulator(opts: EmulatorOptions = {}): Promise<ChildServer<EmulatorInfo>> {
  return spawnChildServer<EmulatorInfo>('emulator-child.ts', [JSON.stringify(opts)]);
}

/** The reference sink serving `file` on GET. */
export function spawnSink(file: string): Promise<ChildServer<{ url: string }>> {
  return spawnChildServer<{ url: string }>('sink-child.ts', [file]);
}
