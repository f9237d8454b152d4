/**
 * --bwlimit measured on real transfers: a 100 MB file (10^8 bytes) put and got through the built bin
 * against the emulator (its own process), at --bwlimit 10M (10 MiB/s, so 9.54 s expected) and with no
 * limit, wall clock per command. Results go to docs/performance.md by hand.
 * Run: npm run build && node --import tsx bench/bwlimit-bench.ts [runs=1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnEmulator } from './lib/emulator-process.js';

const BIN = fileURLToPath(new URL('../bin/b2sync.js', import.meta.url));
const SIZE = 100_000_000;
const LIMIT = '10M';
const RATE = 10 * 1024 * 1024;

const emu = await spawnEmulator();
const dir = await mkdtemp(join(tmpdir(), 'b2sync-bwbench-'));
const env = {
  PATH: process.env.PATH,
  HOME: dir,
  B2SYNC_KEYRING: 'off',
  B2SYNC_CONFIG_DIR: join(dir, 'config'),
  B2SYNC_ENDPOINT: emu.info.url,
  B2_APPLICATION_KEY_ID: emu.info.keyId,
  B2_APPLICATION_KEY: emu.info.applicationKey,
};

function b2sync(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, '-q', ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`b2sync ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

try {
  const file = join(dir, 'big.bin');
  const data = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i += 4096) data[i] = i & 0xff;
  await writeFile(file, data);
  b2sync(['mkdir', 'b2://bw-bench']);
  const runs = Number(process.argv[2] ?? 1);
  const expected = SIZE / RATE;
  console.log(`100 MB (${SIZE} bytes); --bwlimit ${LIMIT} = ${RATE} B/s, expected ${expected.toFixed(2)} s`);
  for (let i = 0; i < runs; i++) {
    const free = b2sync(['put', file, 'b2://bw-bench/free.bin']);
    const up = b2sync(['put', '--bwlimit', LIMIT, file, 'b2://bw-bench/limited.bin']);
    const down = b2sync(['get', '--bwlimit', `off:${LIMIT}`, 'b2://bw-bench/limited.bin', join(dir, 'down.bin')]);
    const freeDown = b2sync(['get', 'b2://bw-bench/free.bin', join(dir, 'down-free.bin')]);
    const pct = (s: number) => `${(((s - expected) / expected) * 100).toFixed(1)}%`;
    console.log(
      `run ${i + 1}: put unlimited ${free.toFixed(2)} s; put --bwlimit ${LIMIT} ${up.toFixed(2)} s (${pct(up)}); ` +
        `get --bwlimit off:${LIMIT} ${down.toFixed(2)} s (${pct(down)}); get unlimited ${freeDown.toFixed(2)} s`,
    );
  }
} finally {
  await emu.stop();
  await rm(dir, { recursive: true, force: true });
}
