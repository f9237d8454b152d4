/**
 * `npm run bench`: the standard benchmarks one after another, each in its own process, its output
 * (tables, medians) printed as it comes. The figures and how to read them: docs/performance.md.
 *
 *   npm run bench                       # --quick (default): small sizes, one or two runs, minutes
 *   npm run bench -- --full             # the sizes issue 11–14 set (100,000 files, 1–4 GiB): an hour or more
 *   npm run bench -- --only sync,watch  # some of them (names below); --no-rclone: b2sync alone; --list
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ArgReader } from './lib/arg-reader.js';

interface Bench {
  name: string;
  script: string;
  what: string;
  quick: string[];
  full: string[];
  /** Takes --no-rclone (the others compare against SHA-1 alone or other HTTP clients, not rclone). */
  rclone: boolean;
}

const BENCHES: Bench[] = [
  {
    name: 'sync',
    script: 'sync-bench.ts',
    what: 'sync vs rclone: small files up, no-op re-sync, one big file',
    quick: ['--files-a', '300', '--files-b', '2000', '--size-c', '64M', '--runs', '1'],
    full: ['--runs', '3'],
    rclone: true,
  },
  {
    name: 'transfer',
    script: 'transfer-bench.ts',
    what: 'big-file upload and download vs rclone and sha1sum',
    quick: ['--size', '64M', '--runs', '2'],
    full: ['--size', '1G,4G', '--runs', '4'],
    rclone: true,
  },
  {
    name: 'upload-cpu',
    script: 'http-upload-cpu.ts',
    what: 'client CPU per GiB of an upload against SHA-1 alone',
    quick: ['--size', '128M', '--runs', '2'],
    full: ['--size', '1G', '--runs', '4'],
    rclone: false,
  },
  {
    name: 'download-cpu',
    script: 'download-cpu.ts',
    what: 'CPU per GiB and peak RSS of a download',
    quick: ['--size', '128M', '--runs', '2'],
    full: ['--size', '1G', '--runs', '5'],
    rclone: false,
  },
  {
    name: 'bisync',
    script: 'bisync-bench.ts',
    what: 'bisync vs rclone bisync: first run, no-op run, changes, one big file',
    quick: ['--files-a', '300', '--files-b', '2000', '--size-d', '64M', '--runs', '1'],
    full: ['--runs', '3'],
    rclone: true,
  },
  {
    name: 'watch',
    script: 'watch-bench.ts',
    what: 'sync --watch: change latency, burst, idle cost, B2 changes',
    quick: ['--quick'],
    full: [],
    rclone: true,
  },
  {
    name: 'emulator',
    script: 'emulator-bench.ts',
    what: "the emulator's own throughput and memory (curl, rclone)",
    quick: ['--size', '64M', '--runs', '1'],
    full: ['--size', '256M,1G', '--runs', '3'],
    rclone: true,
  },
];

function parseArgs(argv: string[]): { full: boolean; only?: Set<string>; rclone: boolean; list: boolean } {
  const a = { full: false, only: undefined as Set<string> | undefined, rclone: true, list: false };
  const r = new ArgReader(argv);
  for (const flag of r) {
    if (flag === '--quick') a.full = false;
    else if (flag === '--full') a.full = true;
    else if (flag === '--only') a.only = new Set(r.val().split(','));
    else if (flag === '--no-rclone') a.rclone = false;
    else if (flag === '--list') a.list = true;
    else throw new Error(`unknown option ${flag} (--quick, --full, --only NAMES, --no-rclone, --list)`);
  }
  for (const n of a.only ?? []) {
    if (!BENCHES.some((b) => b.name === n)) throw new Error(`--only: unknown bench ${n} (see --list)`);
  }
  return a;
}

function main(): number {
  const a = parseArgs(process.argv.slice(2));
  if (a.list) {
    for (const b of BENCHES) console.log(`${b.name.padEnd(13)} bench/${b.script.padEnd(20)} ${b.what}`);
    return 0;
  }
  const failed: string[] = [];
  for (const b of BENCHES.filter((x) => !a.only || a.only.has(x.name))) {
    const args = [...(a.full ? b.full : b.quick), ...(b.rclone && !a.rclone ? ['--no-rclone'] : [])];
    const script = fileURLToPath(new URL(b.script, import.meta.url));
    console.log(`\n=== ${b.name}: ${b.what}\n    node --import tsx bench/${b.script} ${args.join(' ')}\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
    if (r.status !== 0) failed.push(`${b.name} (exit ${r.status ?? r.signal})`);
  }
  if (failed.length) console.error(`\nfailed: ${failed.join(', ')}`);
  return failed.length ? 1 : 0;
}

process.exitCode = main();
