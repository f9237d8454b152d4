/**
 * Bisync benchmark (issue 13): the same jobs by `b2sync bisync` and `rclone bisync` against the same
 * emulator (its own child process) in the same run.
 *
 *   (a) first run of N files (1–4 KiB) from a local folder to an empty prefix, emulator at 20 ms
 *       latency (rclone: its first run must be --resync)
 *   (b) a no-op run over N files already in step (0 ms); (b') a no-op one-way `b2sync sync` of the
 *       same tree, the issue's yardstick (no-op bisync ≤ no-op sync + 20%)
 *   (c) a run after 1% of the (a)-sized tree changed on each side (20 ms latency)
 *   (d) a 1 GiB file renamed locally (emulator in --data mode; bytes uploaded = growth of the
 *       emulator's data folder, since server-side copies share blobs, and the upload calls)
 *
 *   node --import tsx bench/bisync-bench.ts [--jobs a,b,c,d] [--files-a 10000] [--files-b 100000]
 *        [--size-d 1G] [--runs 3] [--dir /tmp] [--no-rclone] [--no-b2sync] [--markdown FILE]
 *   quick check: --files-a 200 --files-b 2000 --size-d 64M --runs 1
 *
 * Setup (populating prefixes, first runs that build each tool's state) is not timed: prefixes are
 * filled by `b2sync sync --transfers 64` at 0 ms. Each tool keeps its own state folder per pair
 * (b2sync --state-dir, rclone --workdir). Wall time is spawn to exit; RSS and CPU from /usr/bin/time.
 * b2sync is the built bin/b2sync.js (run `npm run build` first): sync-measure's private build lives in
 * node_modules/.cache, which worktrees share, and its shim no longer matches the bundled bin.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes, parseSize } from '../src/core/parse.js';
import type { Counters } from '../src/emulator/api.js';
import { RawB2 } from './lib/b2-raw.js';
import { spawnEmulator, type ChildServer, type EmulatorInfo } from './lib/emulator-process.js';
import { rcloneEnv, rcloneVersion, RCLONE_BIN, REMOTE } from './lib/rclone.js';
import { median } from './lib/stats.js';
import { EmulatorControl, runMeasured, SHIPPED_BIN, type Measured } from './lib/sync-measure.js';
import { makeBigFile, makeSmallTree, smallTreePath } from './lib/sync-tree.js';
import { ArgReader } from './lib/arg-reader.js';

interface Args {
  jobs: Set<string>;
  filesA: number;
  filesB: number;
  sizeD: number;
  runs: number;
  dir: string;
  rclone: boolean;
  /** False with --no-b2sync: rclone and the setup only (checks the bench itself). */
  b2sync: boolean;
  markdown?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    jobs: new Set(['a', 'b', 'c', 'd']),
    filesA: 10_000,
    filesB: 100_000,
    sizeD: 2 ** 30,
    runs: 3,
    dir: tmpdir(),
    rclone: true,
    b2sync: true,
  };
  const r = new ArgReader(argv);
  for (const flag of r) {
    if (flag === '--jobs') a.jobs = new Set(r.val().split(','));
    else if (flag === '--files-a') a.filesA = r.int(1);
    else if (flag === '--files-b') a.filesB = r.int(1);
    else if (flag === '--size-d') a.sizeD = parseSize(r.val()) || 0;
    else if (flag === '--runs') a.runs = r.int(1);
    else if (flag === '--dir') a.dir = r.val();
    else if (flag === '--no-rclone') a.rclone = false;
    else if (flag === '--no-b2sync') a.b2sync = false;
    else if (flag === '--markdown') a.markdown = r.val();
    else throw new Error(`unknown option ${flag}`);
  }
  if (!a.sizeD) throw new Error('--size-d: expected a size such as 1G or 64M');
  return a;
}

interface Sample {
  m: Measured;
  counters: Counters;
  /** Bytes the emulator stored during the run (job d only). */
  stored?: number;
}

interface Row {
  job: string;
  label: string;
  samples: Sample[];
}

const UPLOADS = ['b2_upload_file', 'b2_upload_part'];
const calls = (c: Counters, names: string[]) => names.reduce((n, k) => n + (c.calls[k] ?? 0), 0);
const callList = (c: Counters) =>
  Object.entries(c.calls)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k.replace(/^b2_/, '')} ${v}`)
    .join(', ');

class Bench {
  emu?: ChildServer<EmulatorInfo>;
  control?: EmulatorControl;
  raw?: RawB2;
  b2Env: NodeJS.ProcessEnv = {};
  rEnv: NodeJS.ProcessEnv = {};
  dataDir?: string;
  private seq = 0;

  constructor(
    readonly args: Args,
    readonly scratch: string,
    readonly bin: string,
  ) {}

  async start(dataDir?: string): Promise<void> {
    await this.stop();
    this.dataDir = dataDir;
    this.emu = await spawnEmulator(dataDir ? { dataDir } : {});
    const { url, keyId, applicationKey } = this.emu.info;
    this.control = new EmulatorControl(url);
    this.raw = await RawB2.authorize(url, keyId, applicationKey);
    const configDir = join(this.scratch, `config-${this.emu.pid}`);
    await mkdir(configDir, { recursive: true });
    this.b2Env = {
      ...process.env,
      B2SYNC_ENDPOINT: url,
      B2_APPLICATION_KEY_ID: keyId,
      B2_APPLICATION_KEY: applicationKey,
      B2SYNC_CONFIG_DIR: configDir,
      B2SYNC_KEYRING: 'off',
      NO_COLOR: '1',
    };
    this.rEnv = rcloneEnv({ endpoint: url, keyId, applicationKey });
  }

  async stop(): Promise<void> {
    await this.emu?.stop();
    this.emu = undefined;
  }

  /** A fresh state folder for one pair and one tool. */
  stateDir(tag: string): string {
    return join(this.scratch, `state-${tag}-${++this.seq}`);
  }

  /** Runs b2sync (`argv` after the program) or rclone, counters reset before and read after. */
  async run(tool: 'b2sync' | 'rclone', argv: string[], what: string): Promise<Sample> {
    await this.control!.resetCounters();
    const before = this.dataDir ? duBytes(this.dataDir) : 0;
    const m =
      tool === 'b2sync'
        ? await runMeasured(process.execPath, [this.bin, ...argv], this.b2Env, this.scratch)
        : await runMeasured(RCLONE_BIN, argv, this.rEnv, this.scratch);
    const counters = await this.control!.counters();
    if (m.code !== 0) throw new Error(`${what} failed (exit ${m.code}):\n${m.command}\n${m.stderrTail}`);
    return { m, counters, stored: this.dataDir ? duBytes(this.dataDir) - before : undefined };
  }

  bisync(local: string, bucket: string, prefix: string, state: string): string[] {
    return ['bisync', '--state-dir', state, local, `b2://${bucket}/${prefix}`];
  }

  rcloneBisync(local: string, bucket: string, prefix: string, workdir: string, extra: string[] = []): string[] {
    return ['bisync', local, `${REMOTE}:${bucket}/${prefix}`, '--workdir', workdir, ...extra];
  }

  populate(local: string, bucket: string, prefix: string): Promise<Sample> {
    return this.run('b2sync', ['sync', '--transfers', '64', local, `b2://${bucket}/${prefix}`], 'populate');
  }
}

/** Bytes under a folder (du -sb). */
function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

const fmtS = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const fmtMiB = (b: number) => (Number.isFinite(b) ? (b / 2 ** 20).toFixed(0) : '?');

function show(row: Row, s: Sample, run: number): void {
  const c = s.counters;
  const stored = s.stored === undefined ? '' : `, stored ${formatBytes(s.stored)}`;
  console.log(
    `  run ${run + 1} ${row.label}: ${fmtS(s.m.ms)} s, RSS ${fmtMiB(s.m.peakRss)} MiB, A/B/C ${c.classes.A}/${c.classes.B}/${c.classes.C}${stored}, ${callList(c)}`,
  );
}

async function jobA(b: Bench, rows: Row[]): Promise<void> {
  const n = b.args.filesA;
  console.log(`\n(a) first run of ${n} files, 20 ms latency`);
  const src = join(b.scratch, 'a-src');
  await makeSmallTree(src, n, 1024, 4096);
  await b.start();
  await b.raw!.createBucket('bench-bisync-a');
  await b.control!.setLatency(20);
  const mine: Row = { job: 'a', label: 'b2sync bisync', samples: [] };
  const theirs: Row = { job: 'a', label: 'rclone bisync --resync', samples: [] };
  for (let r = 0; r < b.args.runs; r++) {
    if (b.args.b2sync) {
      const s = await b.run('b2sync', b.bisync(src, 'bench-bisync-a', `r${r}-b2sync`, b.stateDir('a')), 'a b2sync');
      mine.samples.push(s);
      show(mine, s, r);
    }
    if (!b.args.rclone) continue;
    const wd = b.stateDir('a-rclone');
    const t = await b.run(
      'rclone',
      b.rcloneBisync(src, 'bench-bisync-a', `r${r}-rclone`, wd, ['--resync']),
      'a rclone',
    );
    theirs.samples.push(t);
    show(theirs, t, r);
  }
  rows.push(...[mine, theirs].filter((x) => x.samples.length));
  await b.stop();
  await rm(src, { recursive: true, force: true });
}

async function jobB(b: Bench, rows: Row[]): Promise<void> {
  const n = b.args.filesB;
  console.log(`\n(b) no-op run over ${n} files, 0 ms latency`);
  const src = join(b.scratch, 'b-src');
  await makeSmallTree(src, n, 16, 64);
  await b.start();
  const bucket = 'bench-bisync-b';
  await b.raw!.createBucket(bucket);
  console.log(`  populated: ${fmtS((await b.populate(src, bucket, 'tree')).m.ms)} s`);
  const state = b.stateDir('b');
  const wd = b.stateDir('b-rclone');
  if (b.args.b2sync) {
    const first = await b.run('b2sync', b.bisync(src, bucket, 'tree', state), 'b first bisync');
    console.log(`  b2sync bisync first run (settles all): ${fmtS(first.m.ms)} s, ${callList(first.counters)}`);
  }
  if (b.args.rclone) {
    const t = await b.run('rclone', b.rcloneBisync(src, bucket, 'tree', wd, ['--resync']), 'b rclone resync');
    console.log(`  rclone bisync --resync: ${fmtS(t.m.ms)} s`);
  }
  const configs: [string, 'b2sync' | 'rclone', string[]][] = [];
  if (b.args.b2sync)
    configs.push(
      ['b2sync bisync', 'b2sync', b.bisync(src, bucket, 'tree', state)],
      ["(b') b2sync sync (one way)", 'b2sync', ['sync', src, `b2://${bucket}/tree`]],
    );
  if (b.args.rclone)
    configs.push(
      ['rclone bisync', 'rclone', b.rcloneBisync(src, bucket, 'tree', wd)],
      ['rclone bisync --fast-list', 'rclone', b.rcloneBisync(src, bucket, 'tree', wd, ['--fast-list'])],
    );
  const mine = configs.map(([label]) => ({ job: 'b', label, samples: [] as Sample[] }));
  for (let r = 0; r < b.args.runs; r++)
    for (const [i, [label, tool, argv]] of configs.entries()) {
      const s = await b.run(tool, argv, `b ${label}`);
      if (calls(s.counters, [...UPLOADS, 'b2_hide_file', 'b2_copy_file']) > 0)
        console.log(`  note: ${label} was not a no-op: ${callList(s.counters)}`);
      mine[i]!.samples.push(s);
      show(mine[i]!, s, r);
    }
  rows.push(...mine);
  await b.stop();
  await rm(src, { recursive: true, force: true });
}

/** Rewrites 1% of a small tree's files locally and uploads new bytes for another 1% on B2. */
async function changeBoth(b: Bench, local: string, bucket: string, prefix: string, n: number, run: number) {
  const k = Math.max(1, Math.round(n / 100));
  const remote: [string, Buffer][] = [];
  for (let j = 0; j < k; j++) {
    const li = (run * 2 * k + j) % n;
    const ri = (run * 2 * k + k + j) % n;
    await writeFile(join(local, smallTreePath(li)), Buffer.from(`local change ${run} ${j} `.repeat(40 + run)));
    remote.push([prefix + '/' + smallTreePath(ri), Buffer.from(`remote change ${run} ${j} `.repeat(40 + run))]);
  }
  await b.raw!.uploadMany(bucket, remote, 8);
}

async function jobC(b: Bench, rows: Row[]): Promise<void> {
  const n = b.args.filesA;
  console.log(`\n(c) a run after 1% of ${n} files changed on each side, 20 ms latency`);
  await b.start();
  const bucket = 'bench-bisync-c';
  await b.raw!.createBucket(bucket);
  const tools = toolsOf(b.args);
  const pairs = [];
  for (const tool of tools) {
    const local = join(b.scratch, `c-${tool}`);
    await makeSmallTree(local, n, 1024, 4096);
    await b.populate(local, bucket, tool);
    const state = b.stateDir(`c-${tool}`);
    const argv = tool === 'b2sync' ? b.bisync(local, bucket, tool, state) : b.rcloneBisync(local, bucket, tool, state);
    await b.run(tool, tool === 'b2sync' ? argv : [...argv, '--resync'], `c ${tool} first run`);
    pairs.push({ tool, local, argv, row: { job: 'c', label: `${tool} bisync`, samples: [] as Sample[] } });
  }
  for (let r = 0; r < b.args.runs; r++)
    for (const p of pairs) {
      await b.control!.setLatency(0);
      await changeBoth(b, p.local, bucket, p.tool, n, r);
      await b.control!.setLatency(20);
      const s = await b.run(p.tool, p.argv, `c ${p.tool}`);
      p.row.samples.push(s);
      show(p.row, s, r);
    }
  rows.push(...pairs.map((p) => p.row));
  await b.stop();
  for (const p of pairs) await rm(p.local, { recursive: true, force: true });
}

async function jobD(b: Bench, rows: Row[]): Promise<void> {
  console.log(`\n(d) a ${formatBytes(b.args.sizeD)} file renamed locally, emulator --data`);
  const dataDir = join(b.scratch, 'd-data');
  await mkdir(dataDir);
  await b.start(dataDir);
  const bucket = 'bench-bisync-d';
  await b.raw!.createBucket(bucket);
  const tools = toolsOf(b.args);
  const pairs = [];
  for (const tool of tools) {
    const local = join(b.scratch, `d-${tool}`);
    await mkdir(local);
    await makeBigFile(join(local, 'big-0.bin'), b.args.sizeD);
    await b.populate(local, bucket, tool);
    const state = b.stateDir(`d-${tool}`);
    // rclone sees the rename as one delete of one file (100% > its 50% max-delete): it needs --force
    const argv =
      tool === 'b2sync'
        ? b.bisync(local, bucket, tool, state)
        : b.rcloneBisync(local, bucket, tool, state, ['--force']);
    await b.run(tool, tool === 'b2sync' ? argv : [...argv, '--resync'], `d ${tool} first run`);
    pairs.push({ tool, local, argv, row: { job: 'd', label: `${tool} bisync`, samples: [] as Sample[] } });
  }
  for (let r = 0; r < b.args.runs; r++)
    for (const p of pairs) {
      await rename(join(p.local, `big-${r}.bin`), join(p.local, `big-${r + 1}.bin`));
      const s = await b.run(p.tool, p.argv, `d ${p.tool}`);
      p.row.samples.push(s);
      show(p.row, s, r);
    }
  rows.push(...pairs.map((p) => p.row));
  await b.stop();
  for (const p of pairs) await rm(p.local, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
}

function toolsOf(a: Args): ('b2sync' | 'rclone')[] {
  return [...(a.b2sync ? (['b2sync'] as const) : []), ...(a.rclone ? (['rclone'] as const) : [])];
}

function medianSample(samples: Sample[]): Sample {
  return [...samples].sort((x, y) => x.m.ms - y.m.ms)[(samples.length - 1) >> 1]!;
}
const wall = (r?: Row) => (r ? median(r.samples.map((s) => s.m.ms)) : NaN);

function table(rows: Row[]): string[] {
  const out = [
    '| job | tool | runs | median wall s | b2sync / rclone | peak RSS MiB | CPU s | calls A / B / C | uploads, bytes stored | calls (median run) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const rc = rows.find((x) => x.job === r.job && x.label === 'rclone bisync' + (r.job === 'a' ? ' --resync' : ''));
    const ratio = r.label.startsWith('b2sync bisync') && rc ? `${(wall(r) / wall(rc)).toFixed(2)}×` : '—';
    const mid = medianSample(r.samples);
    const c = mid.counters;
    const stored = mid.stored === undefined ? '' : `, ${formatBytes(mid.stored)}`;
    out.push(
      `| ${r.job} | ${r.label} | ${r.samples.length} | ${fmtS(wall(r))} | ${ratio} | ${fmtMiB(Math.max(...r.samples.map((s) => s.m.peakRss)))} | ${median(r.samples.map((s) => s.m.cpuSeconds)).toFixed(1)} | ${c.classes.A} / ${c.classes.B} / ${c.classes.C} | ${calls(c, UPLOADS)}${stored} | ${callList(c)} |`,
    );
  }
  return out;
}

function verdicts(rows: Row[], filesB: number): string[] {
  const out: string[] = [];
  const find = (job: string, label: string) => rows.find((r) => r.job === job && r.label === label);
  for (const job of ['a', 'b', 'c', 'd']) {
    const mine = find(job, 'b2sync bisync');
    const theirs = find(job, job === 'a' ? 'rclone bisync --resync' : 'rclone bisync');
    if (!mine || !theirs) continue;
    const x = wall(mine) / wall(theirs);
    out.push(`(${job}) b2sync / rclone ${x.toFixed(2)}× (target ≤ 0.5×): ${x <= 0.5 ? 'met' : 'MISSED'}`);
  }
  const fl = find('b', 'rclone bisync --fast-list');
  const mb = find('b', 'b2sync bisync');
  if (fl && mb) out.push(`(b) b2sync / rclone --fast-list ${(wall(mb) / wall(fl)).toFixed(2)}×`);
  const sy = find('b', "(b') b2sync sync (one way)");
  if (mb && sy) {
    const x = wall(mb) / wall(sy);
    out.push(`(b) no-op bisync / no-op sync ${x.toFixed(2)}× (target ≤ 1.2×): ${x <= 1.2 ? 'met' : 'MISSED'}`);
    const rss = Math.max(...mb.samples.map((s) => s.m.peakRss));
    out.push(`(b) bisync peak RSS ${fmtMiB(rss)} MiB (target < 250 MB): ${rss < 250e6 ? 'met' : 'MISSED'}`);
    const lists = Math.max(...mb.samples.map((s) => calls(s.counters, ['b2_list_file_names'])));
    const limit = Math.ceil(filesB / 10_000);
    out.push(`(b) bisync list calls ${lists} (target ≤ ${limit}): ${lists <= limit ? 'met' : 'MISSED'}`);
  }
  const md = find('d', 'b2sync bisync');
  if (md) {
    const up = Math.max(...md.samples.map((s) => calls(s.counters, UPLOADS)));
    const stored = Math.max(...md.samples.map((s) => s.stored ?? NaN));
    const ok = up === 0 && stored < 1e6;
    out.push(`(d) b2sync upload calls ${up}, bytes stored ${formatBytes(stored)} (target 0): ${ok ? 'met' : 'MISSED'}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rv = args.rclone ? rcloneVersion() : undefined;
  if (args.rclone && !rv) {
    console.log('rclone not found: b2sync only');
    args.rclone = false;
  }
  const scratch = await mkdtemp(join(args.dir, 'b2sync-bisync-bench-'));
  let bench: Bench | undefined;
  const rows: Row[] = [];
  const started = new Date();
  const header = `bisync benchmark ${started.toISOString()}: node ${process.version}, ${cpus().length} CPUs, ${formatBytes(totalmem())} RAM, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${rv ?? 'no rclone'}`;
  console.log(header);
  try {
    bench = new Bench(args, scratch, SHIPPED_BIN);
    if (args.jobs.has('a')) await jobA(bench, rows);
    if (args.jobs.has('b')) await jobB(bench, rows);
    if (args.jobs.has('c')) await jobC(bench, rows);
    if (args.jobs.has('d')) await jobD(bench, rows);
  } finally {
    await bench?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
  const t = table(rows);
  const v = verdicts(rows, args.filesB);
  const end = `load at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
  console.log(['', ...t, '', ...v, end].join('\n'));
  if (args.markdown) {
    const cmd = `node --import tsx bench/bisync-bench.ts ${process.argv.slice(2).join(' ')}`;
    await writeFile(args.markdown, [cmd, header, end, '', ...t, '', ...v.map((l) => `- ${l}`), ''].join('\n'));
  }
}

await main();
