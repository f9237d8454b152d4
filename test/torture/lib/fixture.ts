/**
 * The torture scenarios' fixture: an in-process emulator whose recommended part size is 5 MiB (so a
 * file above b2sync's 200 MB large-file cutoff is 39 parts), a temp folder, and the BUILT CLI run as a
 * subprocess (test/cli/harness.ts), either to completion or killable at a moment the test chooses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { assertNoSecrets, baseEnv, BIN, cachedTokens, ROOT, runBin, type RunResult } from '../../cli/harness.js';

export const PART_SIZE = 5 * 1024 * 1024;
/** b2sync's large-file cutoff is 200 MB (src/transfer/types.ts DEFAULTS): one byte-exact large file above it. */
export const LARGE_FILE_SIZE = 201_000_000;

export interface TortureFixture {
  emu: RunningEmulator;
  dir: string;
  env: NodeJS.ProcessEnv;
  run(args: string[]): Promise<RunResult>;
  /** Starts the CLI and returns the child (for SIGKILL) and its result. */
  start(args: string[]): { child: ChildProcess; done: Promise<RunResult> };
  close(): Promise<void>;
}

export async function tortureFixture(): Promise<TortureFixture> {
  const emu = await startEmulator({ port: 0, log: () => undefined, recommendedPartSize: PART_SIZE });
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-torture-'));
  const configDir = join(dir, 'config');
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(join(dir, 'home')),
    B2SYNC_CONFIG_DIR: configDir,
    B2SYNC_ENDPOINT: emu.url,
    B2_APPLICATION_KEY_ID: emu.keyId,
    B2_APPLICATION_KEY: emu.applicationKey,
  };
  const outputs: string[] = [];
  const check = (r: RunResult, args: string[]): RunResult => {
    outputs.push(r.stdout, r.stderr);
    assertNoSecrets(r.stdout + r.stderr, [emu.applicationKey], `output of ${args.join(' ')}`);
    return r;
  };
  return {
    emu,
    dir,
    env,
    async run(args) {
      return check(await runBin(args, env), args);
    },
    start(args) {
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.on('data', (c: Buffer) => err.push(c));
      const done = new Promise<RunResult>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) =>
          resolve(
            check(
              {
                code: code ?? (signal === 'SIGKILL' ? 137 : -1),
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(err).toString('utf8'),
              },
              args,
            ),
          ),
        );
      });
      return { child, done };
    },
    async close() {
      const tokens = await cachedTokens(configDir);
      for (const o of outputs) assertNoSecrets(o, tokens, 'an output (account token)');
      await emu.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/** Total B2 calls the emulator counted. */
export function totalCalls(emu: RunningEmulator): number {
  return Object.values(emu.controls.counters().calls).reduce((a, b) => a + b, 0);
}
