/**
 * No-op re-sync, side by side against one long-lived emulator: job (b) of bench/sync-bench.ts without
 * re-populating a fresh emulator per run. One emulator holds an N-file tree (uploaded once); then each
 * round runs every given b2sync build and `rclone sync --fast-list` once, interleaved, each timed by
 * /usr/bin/time (wall, peak RSS, user + system CPU), with the emulator's CPU for the run beside it.
 *
 *   node --import tsx bench/resync-loop.ts --bin old=/tmp/old/bin/b2sync.js --bin new=bin/b2sync.js[,--node-flag...]
 *        [--files 100000] [--rounds 5] [--dir /tmp] [--cpu-prof DIR] [--no-rclone] [--parts]
 *
 * --parts: each round also runs the last --bin's listing alone and its local walk alone
 * (bench/lib/resync-parts.mjs), to show what the two halves cost by themselves.
 * The first --bin populates the bucket (`sync --transfers 64`). Prints walls per run and medians.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RawB2 } from './lib/b2-raw.js';
import { spawnEmulator } from './lib/emulator-process.js';
import { rcloneEnv, RCLONE_BIN, REMOTE } from './lib/rclone.js';
import { median } from './lib/stats.js';
import { runMeasured, type Measured } from './lib/sync-measure.js';
import { makeSmallTree } from './lib/sync-tree.js';

interface Tool {
  label: string;
  run: (prof?: string) => Promise<Measured>;
}

function parse(argv: string[]) {
  const a = {
    bins: [] as { label: string; path: string; flags: string[] }[],
    files: 100_000,
    rounds: 5,
    dir: tmpdir(),
    rclone: true,
    parts: false,
  };
  let prof: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const v = () => argv[++i];
    if (f === '--bin') {
      const spec = v();
      const eq = spec.indexOf('=');
      const [label, rest] = [spec.slice(0, eq), spec.slice(eq + 1)];
      const [path, ...flags] = rest.split(',');
      a.bins.push({ label, path: resolve(path), flags });
    } else if (f === '--files') a.files = Number(v());
    else if (f === '--rounds') a.rounds = Number(v());
    else if (f === '--dir') a.dir = v();
    else if (f === '--cpu-prof') prof = resolve(v());
    else if (f === '--no-rclone') a.rclone = false;
    else if (f === '--parts') a.parts = true;
    else throw new Error(`unknown option ${f}`);
  }
  if (a.bins.length === 0) throw new Error('give at least one --bin label=path');
  return { ...a, prof };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const scratch = await mkdtemp(join(args.dir, 'resync-loop-'));
  const emu = await spawnEmulator({});
  try {
    const { url, keyId, applicationKey } = emu.info;
    const raw = await RawB2.authorize(url, keyId, applicationKey);
    const bucket = 'resync-loop';
    await raw.createBucket(bucket);
    const src = join(scratch, 'src');
    await makeSmallTree(src, args.files, 16, 64);
    const configDir = join(scratch, 'config');
    await mkdir(configDir, { recursive: true });
    const env = {
      ...process.env,
      B2SYNC_ENDPOINT: url,
      B2_APPLICATION_KEY_ID: keyId,
      B2_APPLICATION_KEY: applicationKey,
      B2SYNC_CONFIG_DIR: configDir,
      B2SYNC_KEYRING: 'off',
      NO_COLOR: '1',
    };
    const dst = `b2://${bucket}/tree`;
    const pop = await runMeasured(
      process.execPath,
      [args.bins[0].path, 'sync', '--transfers', '64', src, dst],
      env,
      scratch,
    );
    if (pop.code !== 0) throw new Error(`populate failed: ${pop.stderrTail}`);
    console.log(`populated ${args.files} files in ${(pop.ms / 1000).toFixed(1)} s`);
    let n = 0;
    const tools: Tool[] = args.bins.map((b) => ({
      label: b.label,
      run: (prof) => {
        const node = prof
          ? ['--cpu-prof', '--cpu-prof-dir', prof, '--cpu-prof-name', `${b.label}-${++n}.cpuprofile`]
          : [];
        return runMeasured(process.execPath, [...b.flags, ...node, b.path, 'sync', src, dst], env, scratch);
      },
    }));
    if (args.parts) {
      const build = resolve(args.bins[args.bins.length - 1].path, '../..');
      const parts = new URL('./lib/resync-parts.mjs', import.meta.url).pathname;
      const part = (label: string, argv: string[]): Tool => ({
        label,
        run: () => runMeasured(process.execPath, [parts, build, ...argv], env, scratch),
      });
      tools.push(part('listing alone', ['list', bucket, 'tree/']), part('walk alone', ['walk', src]));
    }
    if (args.rclone) {
      const rEnv = rcloneEnv({ endpoint: url, keyId, applicationKey });
      tools.push({
        label: 'rclone --fast-list',
        run: () => runMeasured(RCLONE_BIN, ['sync', '--fast-list', src, `${REMOTE}:${bucket}/tree`], rEnv, scratch),
      });
    }
    const got = new Map<string, { m: Measured; emu: number }[]>(tools.map((t) => [t.label, []]));
    for (let r = 0; r < args.rounds; r++) {
      for (const t of tools) {
        const c0 = emu.cpuSeconds();
        const m = await t.run(args.prof);
        const e = emu.cpuSeconds() - c0;
        if (m.code !== 0) throw new Error(`${t.label} failed: ${m.stderrTail}`);
        got.get(t.label)!.push({ m, emu: e });
        const line = `${(m.ms / 1000).toFixed(2)} s, CPU ${m.cpuSeconds.toFixed(2)} s, RSS ${(m.peakRss / 2 ** 20).toFixed(0)} MiB, emulator CPU ${e.toFixed(2)} s`;
        console.log(`round ${r + 1} ${t.label}: ${line}`);
      }
    }
    const ref = args.rclone ? median(got.get('rclone --fast-list')!.map((s) => s.m.ms)) : NaN;
    console.log(
      '\n| tool | median wall s | / rclone --fast-list | CPU s (median) | emulator CPU s | peak RSS MiB | walls |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const [label, ss] of got) {
      const wall = median(ss.map((s) => s.m.ms));
      const rss = ss.map((s) => s.m.peakRss / 2 ** 20);
      console.log(
        `| ${label} | ${(wall / 1000).toFixed(2)} | ${(wall / ref).toFixed(2)}x | ${median(ss.map((s) => s.m.cpuSeconds)).toFixed(2)} | ${median(ss.map((s) => s.emu)).toFixed(2)} | ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} | ${ss.map((s) => (s.m.ms / 1000).toFixed(2)).join(' ')} |`,
      );
    }
  } finally {
    await emu.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
