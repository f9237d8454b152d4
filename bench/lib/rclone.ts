/**
 * Runs the real rclone binary against a B2 endpoint (the emulator) with a throwaway configuration:
 * the remote is defined only through RCLONE_CONFIG_<NAME>_* variables and the config file is
 * /dev/null, so no user configuration is read or written. Shared by test/interop and bench/.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface RcloneTarget {
  /** Realm URL rclone authorizes against (rclone's b2 `endpoint` option). */
  endpoint: string;
  keyId: string;
  applicationKey: string;
}

export interface RcloneResult {
  /** Exit code, or null when killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** The command line, for messages. */
  command: string;
}

export interface RcloneRunOptions {
  /** Kill rclone (SIGKILL) after this many ms; default 30 000. */
  timeoutMs?: number;
  /** Extra environment variables (e.g. RCLONE_B2_CHUNK_SIZE). */
  env?: Record<string, string>;
  cwd?: string;
  /** Keep stdout as raw bytes too (for `cat`). */
  binaryStdout?: boolean;
}

export interface RcloneBinaryResult extends RcloneResult {
  stdoutBytes: Buffer;
}

/** The rclone binary: $B2SYNC_RCLONE_BIN if set (e.g. a newer rclone), else `rclone` on PATH. */
export const RCLONE_BIN = process.env.B2SYNC_RCLONE_BIN || 'rclone';

/** Name of the remote as used in paths: `emu:bucket/path`. */
export const REMOTE = 'emu';

/** `rclone version`'s first line, or undefined when rclone cannot be run here. */
export function rcloneVersion(): string | undefined {
  const r = spawnSync(RCLONE_BIN, ['version'], { encoding: 'utf8', timeout: 15_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0]?.trim() || undefined;
}

/** The environment rclone runs with: ours minus any RCLONE_* setting, plus the remote definition. */
export function rcloneEnv(target: RcloneTarget, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('RCLONE_')) env[k] = v;
  }
  const p = `RCLONE_CONFIG_${REMOTE.toUpperCase()}_`;
  env[`${p}TYPE`] = 'b2';
  env[`${p}ACCOUNT`] = target.keyId;
  env[`${p}KEY`] = target.applicationKey;
  env[`${p}ENDPOINT`] = target.endpoint;
  env.RCLONE_CONFIG = '/dev/null';
  return { ...env, ...extra };
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Run `rclone <args>`; never rejects (a spawn failure is reported as code null with the error in stderr). */
export function runRclone(
  target: RcloneTarget,
  args: string[],
  opts: RcloneRunOptions & { binaryStdout: true },
): Promise<RcloneBinaryResult>;
export function runRclone(target: RcloneTarget, args: string[], opts?: RcloneRunOptions): Promise<RcloneResult>;
export function runRclone(
  target: RcloneTarget,
  args: string[],
  opts: RcloneRunOptions = {},
): Promise<RcloneResult | RcloneBinaryResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const command = [RCLONE_BIN, ...args].map(quote).join(' ');
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(RCLONE_BIN, args, {
      env: rcloneEnv(target, opts.env),
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const finish = (code: number | null, extraErr = '') => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      const res: RcloneBinaryResult = {
        code,
        stdout: opts.binaryStdout ? '' : stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8') + extraErr,
        durationMs: performance.now() - started,
        timedOut,
        command,
      };
      resolve(res);
    };
    child.on('error', (e) => finish(null, `spawn failed: ${e.message}`));
    child.on('close', (code) => finish(code));
  });
}

/** A one-line-per-problem description of a failed run, for assertion messages. */
export function describeRun(r: RcloneResult, maxStderr = 4000): string {
  const tail = r.stderr.length > maxStderr ? '…' + r.stderr.slice(-maxStderr) : r.stderr;
  return `${r.command}\n→ exit ${r.code}${r.timedOut ? ' (timed out)' : ''} after ${Math.round(r.durationMs)} ms\n${tail}`;
}
