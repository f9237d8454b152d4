/**
 * What every job of the watch benchmark shares: one emulator child process with one bucket, a raw B2
 * client of it (setup, uploads, listing polls), and a way to start `b2sync sync|bisync --watch` on it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RawB2 } from './b2-raw.js';
import { BucketPoll, sleep } from './bucket-poll.js';
import { spawnEmulator, type ChildServer, type EmulatorInfo } from './emulator-process.js';
import { rcloneEnv } from './rclone.js';
import { EmulatorControl } from './sync-measure.js';
import { isStartLine, WatchProcess } from './watch-process.js';

const BUCKET = 'bench-watch';

export type WatchCommand = 'sync' | 'bisync';

export class WatchContext {
  readonly bucket = BUCKET;
  private seq = 0;

  private constructor(
    readonly scratch: string,
    readonly bin: string,
    readonly command: WatchCommand,
    readonly emu: ChildServer<EmulatorInfo>,
    readonly raw: RawB2,
    readonly poll: BucketPoll,
    readonly control: EmulatorControl,
  ) {}

  static async open(scratch: string, bin: string, command: WatchCommand): Promise<WatchContext> {
    const emu = await spawnEmulator({});
    const { url, keyId, applicationKey } = emu.info;
    const raw = await RawB2.authorize(url, keyId, applicationKey);
    await raw.createBucket(BUCKET);
    const poll = await BucketPoll.open(raw, BUCKET);
    return new WatchContext(scratch, bin, command, emu, raw, poll, new EmulatorControl(url));
  }

  /** A fresh name (folder, prefix) for one run of one job. */
  name(what: string): string {
    return `${what}-${++this.seq}`;
  }

  /** A new empty folder under the scratch folder. */
  async folder(what: string): Promise<string> {
    const d = await mkdtemp(join(this.scratch, `${what}-`));
    return d;
  }

  /** b2sync's environment: the emulator's endpoint and master key, private config and state folders. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const { url, keyId, applicationKey } = this.emu.info;
    return {
      ...process.env,
      B2SYNC_ENDPOINT: url,
      B2_APPLICATION_KEY_ID: keyId,
      B2_APPLICATION_KEY: applicationKey,
      B2SYNC_CONFIG_DIR: join(this.scratch, 'b2sync-config'),
      XDG_STATE_HOME: join(this.scratch, 'xdg-state'),
      B2SYNC_KEYRING: 'off',
      NO_COLOR: '1',
      ...extra,
    };
  }

  rcloneEnv(): NodeJS.ProcessEnv {
    const { url, keyId, applicationKey } = this.emu.info;
    return rcloneEnv({ endpoint: url, keyId, applicationKey });
  }

  /**
   * Start the watcher between `local` and b2://bucket/`prefix`: `sync --watch` from the side `from`
   * names (local → B2 for 'local'), or `bisync --watch local remote` (both ways, `from` ignored).
   */
  async watcher(o: {
    local: string;
    prefix: string;
    from: 'local' | 'remote';
    opts: string[];
    env?: NodeJS.ProcessEnv;
  }): Promise<WatchProcess> {
    const remote = `b2://${this.bucket}/${o.prefix}`;
    let argv: string[];
    if (this.command === 'bisync') {
      const stateDir = join(this.scratch, 'bisync-state');
      await mkdir(stateDir, { recursive: true });
      argv = ['--json', 'bisync', '--watch', '--state-dir', stateDir, ...o.opts, o.local, remote];
    } else {
      argv = ['--json', 'sync', '--watch', ...o.opts, ...(o.from === 'local' ? [o.local, remote] : [remote, o.local])];
    }
    await mkdir(join(this.scratch, 'b2sync-config'), { recursive: true });
    return WatchProcess.start({ bin: this.bin, argv, env: this.env(o.env), cwd: this.scratch });
  }

  /**
   * Wait for the watcher's start line, then write probe files until one is listed (local → B2): after
   * that the watcher is past its first full pass and reacting to events. Returns the ms that took.
   */
  async readyUp(w: WatchProcess, local: string, prefix: string, timeoutMs = 300_000): Promise<number> {
    const t0 = performance.now();
    await startLine(w);
    for (let i = 0; i < 2; i++) {
      const name = `.probe-${i}.txt`;
      await writeFile(join(local, name), `probe ${i} ${Date.now()}\n`);
      await this.poll.until(`${prefix}/`, (l) => l.has(name), {
        intervalMs: 50,
        timeoutMs,
        alive: () => w.assertRunning(),
        what: `probe ${name} of ${w.command}`,
      });
    }
    return performance.now() - t0;
  }

  /** The same for B2 → local: upload probes until one arrives in `local`. */
  async readyDown(w: WatchProcess, local: string, prefix: string, timeoutMs = 120_000): Promise<number> {
    const t0 = performance.now();
    await startLine(w);
    for (let i = 0; i < 2; i++) {
      const name = `.probe-${i}.txt`;
      await this.raw.uploadMany(this.bucket, [[`${prefix}/${name}`, Buffer.from(`probe ${i}\n`)]], 1);
      await waitForFile(join(local, name), { size: 8, timeoutMs, alive: () => w.assertRunning() });
    }
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    await this.emu.stop();
  }
}

/**
 * Wait up to 60 s for the watcher's start line. Without one (its output may read otherwise), carry on:
 * the probes that follow are what shows the watcher is live.
 */
async function startLine(w: WatchProcess): Promise<void> {
  try {
    await w.waitForLine(isStartLine, 60_000);
  } catch (e) {
    w.assertRunning();
    console.log(
      `  (no start line from ${w.command} within 60 s; going on with the probes) ${String(e).split('\n')[0]}`,
    );
  }
}

/** Poll for `path` to exist with `size` bytes every `intervalMs` (default 5); resolves with performance.now(). */
export async function waitForFile(
  path: string,
  o: { size: number; timeoutMs: number; intervalMs?: number; alive?: () => void },
): Promise<number> {
  const deadline = performance.now() + o.timeoutMs;
  for (;;) {
    if (existsSync(path)) {
      const st = await stat(path).catch(() => undefined);
      if (st && st.size === o.size) return performance.now();
    }
    o.alive?.();
    if (performance.now() > deadline) throw new Error(`${path} did not appear within ${o.timeoutMs} ms`);
    await sleep(o.intervalMs ?? 5);
  }
}
