/**
 * A long-running b2sync process (`sync --watch`, `bisync --watch`) for the watch benchmark: started
 * with `node BIN ...argv`, its output kept line by line (NDJSON parsed where it is JSON), its CPU and
 * memory read from /proc, stopped with SIGTERM (exit code and time to exit recorded).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { readProcCpuSeconds, readProcMemory } from './proc-status.js';

export interface WatchLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
  json?: Record<string, unknown>;
}

export interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to exit, ms. */
  ms: number;
}

export class WatchProcess {
  readonly lines: WatchLine[] = [];
  private waiters: Array<() => void> = [];
  private exited?: Stopped;

  private constructor(
    private readonly child: ChildProcess,
    readonly command: string,
  ) {
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream]! }).on('line', (text) => this.add(stream, text));
    }
    child.once('exit', (code, signal) => {
      this.exited = { code, signal, ms: NaN };
      this.wakeAll();
    });
  }

  /** Spawn `node [nodeArgs] bin ...argv`. */
  static start(o: { bin: string; argv: string[]; env: NodeJS.ProcessEnv; cwd?: string }): WatchProcess {
    const child = spawn(process.execPath, [o.bin, ...o.argv], {
      env: o.env,
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WatchProcess(child, ['b2sync', ...o.argv].join(' '));
  }

  get pid(): number {
    return this.child.pid ?? NaN;
  }

  get running(): boolean {
    return this.exited === undefined;
  }

  /** User + system CPU seconds so far (all threads). */
  cpuSeconds(): number {
    return readProcCpuSeconds(this.pid) ?? NaN;
  }

  /** VmRSS and VmHWM, bytes (NaN when unknown). */
  memory(): { rss: number; peakRss: number } {
    return readProcMemory(this.pid) ?? { rss: NaN, peakRss: NaN };
  }

  private add(stream: WatchLine['stream'], text: string): void {
    let json: Record<string, unknown> | undefined;
    if (text.startsWith('{')) {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        /* not JSON after all */
      }
    }
    this.lines.push({ at: performance.now(), stream, text, json });
    if (this.lines.length > 50_000) this.lines.splice(0, 10_000); // 10,000 changes print 10,000 lines
    this.wakeAll();
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The first line (already seen or still to come) matching `pred`; rejects on exit or after timeoutMs. */
  async waitForLine(pred: (l: WatchLine) => boolean, timeoutMs: number): Promise<WatchLine> {
    const deadline = performance.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.lines.length; seen++) if (pred(this.lines[seen]!)) return this.lines[seen]!;
      if (this.exited)
        throw new Error(`${this.command} exited (${this.exited.code ?? this.exited.signal}):\n${this.tail()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.command}: no such line within ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Fail at once if the process has exited (a watcher must keep running). */
  assertRunning(): void {
    if (this.exited)
      throw new Error(`${this.command} exited (${this.exited.code ?? this.exited.signal}):\n${this.tail()}`);
  }

  /** The last lines of output, for error messages. */
  tail(n = 25): string {
    return this.lines
      .slice(-n)
      .map((l) => `  [${l.stream}] ${l.text}`)
      .join('\n');
  }

  /** Lines that report an error (JSON type error, or text containing "error"), for the notes. */
  errors(): string[] {
    return this.lines
      .filter((l) => (l.json ? l.json.type === 'error' : /\berror\b/i.test(l.text)))
      .map((l) => l.text.slice(0, 300));
  }

  /** SIGTERM; SIGKILL after killAfterMs. Resolves with the exit and the time it took. */
  async stop(killAfterMs = 15_000): Promise<Stopped> {
    if (this.exited) return this.exited;
    const t0 = performance.now();
    const done = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    const [code, signal] = (await done) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    this.exited = { code, signal, ms: performance.now() - t0 };
    return this.exited;
  }
}

/** Is this the watcher's start line (`{"type":"watch","action":"start"}` with --json)? */
export function isStartLine(l: WatchLine): boolean {
  return l.json?.type === 'watch' && l.json.action === 'start';
}
