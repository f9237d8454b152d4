/**
 * Profiling helper for bisync's no-op run (issue 13): an emulator child, a tree of N small files
 * synced to a bucket and bisynced once (its state built), then `--runs` no-op bisync runs, each
 * with `node --cpu-prof` (profiles in --out), timed; then the same count of no-op one-way syncs.
 *
 *   node --import tsx bench/bisync-profile.ts [--files 20000] [--runs 1] [--out DIR] [--no-prof]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawB2 } from './lib/b2-raw.js';
import { spawnEmulator } from './lib/emulator-process.js';
import { SHIPPED_BIN } from './lib/sync-measure.js';
import { makeSmallTree } from './lib/sync-tree.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const files = Number(opt('--files', '20000'));
const runs = Number(opt('--runs', '1'));
const out = opt('--out', join(tmpdir(), 'bisync-prof'));
const prof = !argv.includes('--no-prof');

const scratch = await mkdtemp(join(tmpdir(), 'bisync-prof-'));
const emu = await spawnEmulator({});
try {
  const { url, keyId, applicationKey } = emu.info;
  const raw = await RawB2.authorize(url, keyId, applicationKey);
  await raw.createBucket('bisync-prof');
  const env = {
    ...process.env,
    B2SYNC_ENDPOINT: url,
    B2_APPLICATION_KEY_ID: keyId,
    B2_APPLICATION_KEY: applicationKey,
    B2SYNC_CONFIG_DIR: join(scratch, 'config'),
    B2SYNC_KEYRING: 'off',
    NO_COLOR: '1',
  };
  const src = join(scratch, 'src');
  await makeSmallTree(src, files, 16, 64);
  const run = (args: string[], flags: string[] = []) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [...flags, SHIPPED_BIN, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.status !== 0) throw new Error(`${args[0]} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  run(['sync', '--transfers', '64', src, 'b2://bisync-prof/tree']);
  const bisync = ['bisync', src, 'b2://bisync-prof/tree', '--state-dir', join(scratch, 'state')];
  run(bisync);
  await mkdir(out, { recursive: true });
  const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', out] : [];
  for (let i = 0; i < runs; i++) console.log(`bisync no-op ${run(bisync, flags).toFixed(0)} ms`);
  for (let i = 0; i < runs; i++)
    console.log(`sync no-op ${run(['sync', src, 'b2://bisync-prof/tree'], flags).toFixed(0)} ms`);
  console.log(
    `load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await emu.stop();
  await rm(scratch, { recursive: true, force: true });
}
