/**
 * End-to-end harness: an in-process emulator on port 0, temp config/work dirs, and a runner for the
 * BUILT bin/b2sync.js as a subprocess. Every captured output is checked for secrets.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin', 'b2sync.js');
// Without a build every CLI test would fail one by one (some wait for output that never comes): stop at once.
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
  throw new Error('test/cli needs the built CLI: run `npm run build` first');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Fixture {
  emu: RunningEmulator;
  dir: string;
  configDir: string;
  /** Environment with the emulator's master key in B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY. */
  env: NodeJS.ProcessEnv;
  /** Secrets that must never appear in any output. */
  secrets: string[];
  run(
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string; noCredentials?: boolean },
  ): Promise<RunResult>;
  /** Run and parse stdout as NDJSON. */
  json(
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; input?: string },
  ): Promise<{ code: number; records: Record<string, unknown>[]; stderr: string }>;
  close(): Promise<void>;
}

/** Base env for subprocesses: no real home, no keyring, no colours, no inherited B2 credentials. */
export function baseEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'SYSTEMROOT', 'TMPDIR', 'LANG']) if (process.env[k]) env[k] = process.env[k];
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, '.config');
  env.B2SYNC_KEYRING = 'off';
  env.NO_COLOR = '1';
  return env;
}

/** Run the built bin (under `wrap`, a command put in front of node, e.g. strace and its options, when given). */
export function runBin(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string | Buffer,
  cwd?: string,
  wrap: string[] = [],
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const argv = [...wrap, process.execPath, BIN, ...args];
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd: cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined);
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

export function assertNoSecrets(text: string, secrets: readonly string[], where: string): void {
  for (const s of secrets) {
    if (s && s.length >= 6) assert.ok(!text.includes(s), `a secret leaked into ${where}: ${text.slice(0, 400)}`);
  }
  // Account / upload tokens the emulator issues look like B2's ("4_..."), and Basic credentials.
  assert.ok(!/Basic\s+[A-Za-z0-9+/=]{12,}/.test(text), `Basic credentials leaked into ${where}`);
}

export async function makeFixture(): Promise<Fixture> {
  const emu = await startEmulator({ port: 0, log: () => undefined });
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-cli-'));
  const configDir = join(dir, 'config');
  const env = {
    ...baseEnv(join(dir, 'home')),
    B2SYNC_CONFIG_DIR: configDir,
    B2SYNC_ENDPOINT: emu.url,
    B2_APPLICATION_KEY_ID: emu.keyId,
    B2_APPLICATION_KEY: emu.applicationKey,
  };
  const secrets = [emu.applicationKey];
  const outputs: string[] = [];
  const fx: Fixture = {
    emu,
    dir,
    configDir,
    env,
    secrets,
    async run(args, opts = {}) {
      const e: NodeJS.ProcessEnv = { ...env, ...opts.env };
      if (opts.noCredentials) {
        delete e.B2_APPLICATION_KEY_ID;
        delete e.B2_APPLICATION_KEY;
      }
      for (const [k, v] of Object.entries(e)) if (v === undefined) delete e[k];
      const r = await runBin(args, e, opts.input, opts.cwd);
      outputs.push(r.stdout, r.stderr);
      assertNoSecrets(r.stdout, secrets, `stdout of ${args.join(' ')}`);
      assertNoSecrets(r.stderr, secrets, `stderr of ${args.join(' ')}`);
      return r;
    },
    async json(args, opts = {}) {
      const r = await fx.run(['--json', ...args], opts);
      const records = r.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            throw new Error(`not NDJSON: ${l}\nstderr: ${r.stderr}`);
          }
        });
      return { code: r.code, records, stderr: r.stderr };
    },
    async close() {
      // The account tokens issued to the CLI sit in its token cache: none may appear in any output.
      const tokens = await cachedTokens(configDir);
      assert.ok(
        tokens.length > 0,
        'the CLI cached its account token in the config dir (so the leak check below is real)',
      );
      for (const o of outputs) assertNoSecrets(o, tokens, 'an output (account token)');
      await emu.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
  return fx;
}

/** Assert an exit code, showing the output when it differs. */
export function expectCode(r: { code: number; stdout?: string; stderr: string }, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}, expected ${code}\nstdout: ${r.stdout ?? ''}\nstderr: ${r.stderr}`);
}

/** Account tokens in the CLI's token cache files under a config dir. */
export async function cachedTokens(configDir: string): Promise<string[]> {
  const names = await readdir(configDir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.filter((x) => x.startsWith('b2-token-'))) {
    try {
      const rec = JSON.parse(await readFile(join(configDir, n), 'utf8')) as { authorizationToken?: string };
      if (rec.authorizationToken) out.push(rec.authorizationToken);
    } catch {
      /* ignore */
    }
  }
  return out;
}

/** Run main() in this process with captured streams (for parse-only cases: --help, bad options). */
export async function runInProcess(
  args: string[],
  env: NodeJS.ProcessEnv = { B2SYNC_KEYRING: 'off', NO_COLOR: '1' },
): Promise<RunResult> {
  const { Writable, Readable } = await import('node:stream');
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const out = new Writable({
    write(c, _e, cb) {
      stdout += c.toString();
      cb();
    },
  });
  const err = new Writable({
    write(c, _e, cb) {
      stderr += c.toString();
      cb();
    },
  });
  const code = await main(['node', 'b2sync', ...args], { stdout: out, stderr: err, stdin: Readable.from([]), env });
  return { code, stdout, stderr };
}
