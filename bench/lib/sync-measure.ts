/**
 * Helpers of the sync benchmark: run one tool process measuring wall time, peak RSS and CPU time;
 * read and reset the emulator's call counters over HTTP; build a private copy of the b2sync CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Counters } from '../../src/emulator/api.js';
import { readProcMemory } from './proc-status.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export interface Measured {
  code: number | null;
  ms: number;
  /** Peak resident set size of the tool process, bytes (NaN when unknown). */
  peakRss: number;
  /** User + system CPU seconds of the tool process (NaN when unknown). */
  cpuSeconds: number;
  stdoutTail: string;
  stderrTail: string;
  command: string;
}

const tail = (s: string, n = 3000) => (s.length > n ? '…' + s.slice(-n) : s);

/**
 * Run `cmd args` to completion. With /usr/bin/time: peak RSS (%M) and CPU (%U + %S) of the command;
 * without: VmHWM polled from /proc every 20 ms (CPU unknown). Wall time is ours, spawn to exit.
 */
export async function runMeasured(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  scratch: string,
  timeoutMs = 3_600_000,
): Promise<Measured> {
  const statsFile = join(scratch, `time-${process.pid}-${process.hrtime.bigint()}`);
  const [c, a] = TIME ? [TIME, ['-f', '%M %U %S', '-o', statsFile, cmd, ...args]] : [cmd, args];
  const command = [cmd, ...args].join(' ');
  const t0 = performance.now();
  const child = spawn(c, a, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout = tail(stdout + d.toString('utf8'), 20_000);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = tail(stderr + d.toString('utf8'), 20_000);
  });
  let polledPeak = NaN;
  const poll = TIME
    ? undefined
    : setInterval(() => {
        const m = child.pid ? readProcMemory(child.pid) : undefined;
        if (m && !(m.peakRss <= polledPeak)) polledPeak = m.peakRss;
      }, 20);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      stderr += `spawn failed: ${e.message}`;
      resolve(null);
    });
    child.on('close', (c) => resolve(c));
  });
  const ms = performance.now() - t0;
  clearTimeout(killer);
  if (poll) clearInterval(poll);
  let peakRss = polledPeak;
  let cpuSeconds = NaN;
  if (TIME) {
    try {
      const last = (await readFile(statsFile, 'utf8')).trim().split('\n').pop() ?? '';
      const [kib, user, sys] = last.split(' ').map(Number);
      peakRss = kib * 1024;
      cpuSeconds = user + sys;
    } catch {
      /* the command was killed before time wrote its line */
    }
    await rm(statsFile, { force: true });
  }
  return { code, ms, peakRss, cpuSeconds, stdoutTail: tail(stdout), stderrTail: tail(stderr), command };
}

/** The emulator's test controls over HTTP (src/emulator/api.ts). */
export class EmulatorControl {
  constructor(readonly url: string) {}

  private async post(path: string, body?: unknown): Promise<void> {
    const r = await fetch(`${this.url}/__b2sync__/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`POST /__b2sync__/${path}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  }

  async counters(): Promise<Counters> {
    const r = await fetch(`${this.url}/__b2sync__/counters`);
    if (!r.ok) throw new Error(`GET /__b2sync__/counters: ${r.status}`);
    return (await r.json()) as Counters;
  }

  resetCounters(): Promise<void> {
    return this.post('counters/reset');
  }

  setLatency(ms: number): Promise<void> {
    return this.post('latency', { ms });
  }
}

/**
 * Compile the CLI as `npm run build` does, but into a private folder (node_modules/.cache/b2sync-bench/sync),
 * so a build by someone else mid-run cannot change what is measured. Returns the path of a bin shim
 * equivalent to bin/b2sync.js.
 */
export async function buildPrivateCli(): Promise<string> {
  const base = join(ROOT, 'node_modules', '.cache', 'b2sync-bench', 'sync');
  await rm(join(base, 'dist'), { recursive: true, force: true });
  await mkdir(join(base, 'bin'), { recursive: true });
  // package.json next to dist/: ESM scope, and src/client/version.ts reads the version from ../../package.json
  await copyFile(join(ROOT, 'package.json'), join(base, 'package.json'));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(base, 'dist'), '--sourceMap', 'false'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) {
    // tsc still emits on type errors (noEmitOnError is off); only a missing output is fatal
    process.stderr.write(
      `(tsc reported problems while building the private b2sync copy; using what it emitted)\n${tail(r.stdout + r.stderr, 1500)}\n`,
    );
  }
  const main = join(base, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`building b2sync failed: ${main} missing`);
  const shim = join(base, 'bin', 'b2sync.js');
  await writeFile(shim, await readFile(join(ROOT, 'bin', 'b2sync.js'), 'utf8'));
  return shim;
}

/** The shipped bin/b2sync.js (needs `npm run build`). */
export const SHIPPED_BIN = join(ROOT, 'bin', 'b2sync.js');
