/**
 * The torture scenarios' fixture: an in-process emulator, a temp folder, and the BUILT CLI run as a
 * subprocess (test/cli/harness.ts), either to completion or killable at a moment the test chooses.
 * In full, large files are b2sync's default: above its 200 MB cutoff, here in 5 MiB parts (39 of them);
 * the short form uploads with --upload-cutoff 16M and 1 MiB parts, so its large file of 24 MiB is 25
 * parts and a short run stays short.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { size } from '../report.js';
import { assertNoSecrets, baseEnv, BIN, cachedTokens, ROOT, runBin, type RunResult } from '../../cli/harness.js';

const MIB = 1024 * 1024;
/** The emulator's recommended (and, short, minimum) part size: b2sync cuts large files at it. */
export const PART_SIZE = size(5 * MIB, 1 * MIB);
/** A file above the large-file cutoff: b2sync's default 200 MB in full, 16 MiB (UPLOAD_ARGS) short. */
export const LARGE_FILE_SIZE = size(201_000_000, 24 * MIB + 1);
/** Options for every upload command (put, sync up): the short form's lower cutoff. */
export const UPLOAD_ARGS: string[] = size([], ['--upload-cutoff', '16M']);

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
  const emu = await startEmulator({
    port: 0,
    log: () => undefined,
    recommendedPartSize: PART_SIZE,
    minPartSize: size(undefined, PART_SIZE),
  });
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
