/**
 * Sync benchmark: the same jobs done by b2sync (`b2sync sync`) and by rclone (`rclone sync`) against
 * the same emulator (its own child process) in the same run.
 *
 *   (a) N small files (1–4 KiB) up, emulator at 20 ms latency per B2 response; b2sync with its
 *       defaults (16 transfers / 16 checkers), rclone with its defaults (4 / 8) and at equal concurrency (16 / 16)
 *   (b) a no-op re-sync of N tiny files (the bucket populated first by b2sync at 0 ms latency); b2sync
 *       with defaults, rclone with defaults (lists folder by folder) and with --fast-list (one recursive listing)
 *   (c) one big file up (emulator in --data mode), both with defaults
 *
 *   node --import tsx bench/sync-bench.ts [--jobs a,b,c] [--files-a 10000] [--files-b 100000] [--size-c 2G]
 *        [--runs 3] [--runs-b N] [--runs-c N] [--latency-a 20] [--latency-b 0] [--dir /tmp]
 *        [--shipped] [--cpu-prof DIR] [--no-rclone] [--markdown FILE]
 *   quick check: --files-a 1000 --files-b 10000 --size-c 64M --runs 1
 *
 * Each tool is one process per run: wall time spawn to exit (start-up included for both), peak RSS and
 * CPU from /usr/bin/time (else VmHWM polled). B2 calls come from the emulator's counters, reset before
 * each run. Configurations run interleaved within each run. b2sync is compiled like `npm run build`
 * into a private folder (--shipped: use bin/b2sync.js and dist/ as they are). b2sync keeps its
 * authorization token in its config folder (a temp dir here), so after its first run it does not call
 * b2_authorize_account again; rclone authorizes on every run.
 */
import { createHash } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes, parseSize } from '../src/core/parse.js';
import type { Counters } from '../src/emulator/api.js';
import { RawB2 } from './lib/b2-raw.js';
import { spawnEmulator, type ChildServer, type EmulatorInfo } from './lib/emulator-process.js';
import { rcloneEnv, rcloneVersion, RCLONE_BIN, REMOTE } from './lib/rclone.js';
import { median } from './lib/stats.js';
import { buildPrivateCli, EmulatorControl, runMeasured, SHIPPED_BIN, type Measured } from './lib/sync-measure.js';
import { makeBigFile, makeSmallTree } from './lib/sync-tree.js';
import { ArgReader } from './lib/arg-reader.js';

interface Args {
  jobs: Set<string>;
  filesA: number;
  filesB: number;
  sizeC: number;
  runsA: number;
  runsB: number;
  runsC: number;
  latencyA: number;
  latencyB: number;
  dir: string;
  shipped: boolean;
  cpuProf?: string;
  rclone: boolean;
  markdown?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    jobs: new Set(['a', 'b', 'c']),
    filesA: 10_000,
    filesB: 100_000,
    sizeC: 2 * 2 ** 30,
    runsA: 3,
    runsB: NaN,
    runsC: NaN,
    latencyA: 20,
    latencyB: 0,
    dir: tmpdir(),
    shipped: false,
    rclone: true,
  };
  const r = new ArgReader(argv);
  for (const flag of r) {
    if (flag === '--jobs') a.jobs = new Set(r.val().split(','));
    else if (flag === '--files-a') a.filesA = r.int(1);
    else if (flag === '--files-b') a.filesB = r.int(1);
    else if (flag === '--size-c') {
      const n = parseSize(r.val());
      if (!n) throw new Error('--size-c: expected a size such as 2G or 64M');
      a.sizeC = n;
    } else if (flag === '--runs') a.runsA = r.int(1);
    else if (flag === '--runs-b') a.runsB = r.int(1);
    else if (flag === '--runs-c') a.runsC = r.int(1);
    else if (flag === '--latency-a') a.latencyA = r.int();
    else if (flag === '--latency-b') a.latencyB = r.int();
    else if (flag === '--dir') a.dir = r.val();
    else if (flag === '--shipped') a.shipped = true;
    else if (flag === '--cpu-prof') a.cpuProf = r.val();
    else if (flag === '--no-rclone') a.rclone = false;
    else if (flag === '--markdown') a.markdown = r.val();
    else throw new Error(`unknown option ${flag}`);
  }
  if (Number.isNaN(a.runsB)) a.runsB = a.runsA;
  if (Number.isNaN(a.runsC)) a.runsC = a.runsA;
  return a;
}

/** One way of running one tool: a label and the argv after the program, given SRC and DST. */
interface Config {
  tool: 'b2sync' | 'rclone';
  label: string;
  argv: (src: string, bucket: string, prefix: string) => string[];
}

interface Sample {
  m: Measured;
  counters: Counters;
  /** CPU seconds the emulator process used during the run. */
  emulatorCpu: number;
}

interface Row {
  job: string;
  config: Config;
  samples: Sample[];
}

const B2SYNC_DEFAULT: Config = {
  tool: 'b2sync',
  label: 'b2sync (defaults: 16/16)',
  argv: (s, b, p) => ['sync', s, `b2://${b}/${p}`],
};
const RCLONE_DEFAULT: Config = {
  tool: 'rclone',
  label: 'rclone (defaults: 4/8)',
  argv: (s, b, p) => ['sync', s, `${REMOTE}:${b}/${p}`],
};
const RCLONE_16: Config = {
  tool: 'rclone',
  label: 'rclone --transfers 16 --checkers 16',
  argv: (s, b, p) => ['sync', '--transfers', '16', '--checkers', '16', s, `${REMOTE}:${b}/${p}`],
};
const RCLONE_FAST_LIST: Config = {
  tool: 'rclone',
  label: 'rclone --fast-list (defaults: 4/8)',
  argv: (s, b, p) => ['sync', '--fast-list', s, `${REMOTE}:${b}/${p}`],
};

class Bench {
  private emu?: ChildServer<EmulatorInfo>;
  private control?: EmulatorControl;
  private raw?: RawB2;
  private b2Env: NodeJS.ProcessEnv = {};
  private rEnv: NodeJS.ProcessEnv = {};
  private profRun = 0;

  constructor(
    readonly args: Args,
    readonly scratch: string,
    readonly bin: string,
  ) {}

  async startEmulator(opts: { dataDir?: string }): Promise<void> {
    await this.stopEmulator();
    this.emu = await spawnEmulator(opts);
    const { url, keyId, applicationKey } = this.emu.info;
    this.control = new EmulatorControl(url);
    this.raw = await RawB2.authorize(url, keyId, applicationKey);
    const configDir = join(this.scratch, `b2sync-config-${this.emu.pid}`);
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

  async stopEmulator(): Promise<void> {
    if (this.emu) {
      await this.emu.stop();
    }
    this.emu = undefined;
  }

  async createBucket(name: string): Promise<void> {
    await this.raw!.createBucket(name);
  }

  setLatency(ms: number): Promise<void> {
    return this.control!.setLatency(ms);
  }

  /** Run one configuration once: counters reset before, read after. */
  async runOnce(job: string, c: Config, src: string, bucket: string, prefix: string): Promise<Sample> {
    await this.control!.resetCounters();
    const cpu0 = this.emu!.cpuSeconds();
    let m: Measured;
    if (c.tool === 'b2sync') {
      const node: string[] = [];
      if (this.args.cpuProf)
        node.push(
          '--cpu-prof',
          '--cpu-prof-dir',
          this.args.cpuProf,
          '--cpu-prof-name',
          `b2sync-${job}-${++this.profRun}.cpuprofile`,
        );
      m = await runMeasured(
        process.execPath,
        [...node, this.bin, ...c.argv(src, bucket, prefix)],
        this.b2Env,
        this.scratch,
      );
    } else {
      m = await runMeasured(RCLONE_BIN, c.argv(src, bucket, prefix), this.rEnv, this.scratch);
    }
    const emulatorCpu = this.emu!.cpuSeconds() - cpu0;
    const counters = await this.control!.counters();
    if (m.code !== 0) {
      throw new Error(
        `${c.label} failed (exit ${m.code}):\n${m.command}\n${m.stderrTail}\n${m.stdoutTail.slice(-1000)}`,
      );
    }
    return { m, counters, emulatorCpu };
  }

  async deletePrefix(bucket: string, prefix: string): Promise<void> {
    for (const f of await this.raw!.fileVersions(bucket, prefix)) {
      await this.raw!.call('b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    }
  }

  emulatorPeak(): number {
    return this.emu?.memory()?.peakRss ?? NaN;
  }
}

const fmtS = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const fmtMiB = (b: number) => (Number.isFinite(b) ? (b / 2 ** 20).toFixed(0) : '?');

function line(s: Sample): string {
  const c = s.counters;
  return `${fmtS(s.m.ms)} s, peak RSS ${fmtMiB(s.m.peakRss)} MiB, CPU ${s.m.cpuSeconds.toFixed(1)} s (emulator ${s.emulatorCpu.toFixed(1)} s), A/B/C ${c.classes.A}/${c.classes.B}/${c.classes.C}, ${callList(c)}`;
}

function callList(c: Counters): string {
  return Object.entries(c.calls)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k.replace(/^b2_/, '')} ${v}`)
    .join(', ');
}

function sum(c: Counters, names: string[]): number {
  return names.reduce((n, k) => n + (c.calls[k] ?? 0), 0);
}

const UPLOAD_CALLS = [
  'b2_upload_file',
  'b2_upload_part',
  'b2_start_large_file',
  'b2_finish_large_file',
  'b2_copy_file',
  'b2_copy_part',
];
const PER_FILE_READS = ['b2_get_file_info', 'b2_download_file_by_name', 'b2_download_file_by_id'];
const DELETES = ['b2_hide_file', 'b2_delete_file_version'];

async function jobA(bench: Bench, rows: Row[], notes: string[]): Promise<void> {
  const { args, scratch } = bench;
  const n = args.filesA;
  console.log(`\n(a) ${n} small files up, emulator latency ${args.latencyA} ms, ${args.runsA} run(s)`);
  const src = join(scratch, 'a-src');
  const bytes = await makeSmallTree(src, n, 1024, 4096);
  console.log(`  tree: ${n} files, ${formatBytes(bytes)}`);
  await bench.startEmulator({});
  const bucket = 'bench-sync-a';
  await bench.createBucket(bucket);
  await bench.setLatency(args.latencyA);
  const configs = args.rclone ? [B2SYNC_DEFAULT, RCLONE_DEFAULT, RCLONE_16] : [B2SYNC_DEFAULT];
  const mine = configs.map((config) => ({ job: 'a', config, samples: [] as Sample[] }));
  await runRounds(
    bench,
    'a',
    args.runsA,
    mine,
    src,
    bucket,
    (run, row) => `run${run}-${row.config.tool}-${mine.indexOf(row)}`,
    async (s, row, run) => {
      const uploads = s.counters.calls.b2_upload_file ?? 0;
      if (uploads !== n)
        notes.push(`(a) ${row.config.label} run ${run + 1}: ${uploads} b2_upload_file calls for ${n} files`);
    },
  );
  rows.push(...mine);
}

/**
 * Run every configuration `runs` times, interleaved, printing each sample (`after` checks it and
 * tidies up); then stop the emulator and remove the source tree.
 */
async function runRounds(
  bench: Bench,
  job: string,
  runs: number,
  mine: Row[],
  src: string,
  bucket: string,
  prefixOf: (run: number, row: Row) => string,
  after: (s: Sample, row: Row, run: number, prefix: string) => Promise<void>,
): Promise<void> {
  for (let run = 0; run < runs; run++) {
    for (const row of mine) {
      const prefix = prefixOf(run, row);
      const s = await bench.runOnce(job, row.config, src, bucket, prefix);
      row.samples.push(s);
      console.log(`  run ${run + 1} ${row.config.label}: ${line(s)}`);
      await after(s, row, run, prefix);
    }
  }
  console.log(`  emulator peak RSS ${formatBytes(bench.emulatorPeak())}`);
  await bench.stopEmulator();
  await rm(src, { recursive: true, force: true });
}

async function jobB(bench: Bench, rows: Row[], notes: string[]): Promise<void> {
  const { args, scratch } = bench;
  const n = args.filesB;
  console.log(`\n(b) no-op re-sync of ${n} files, emulator latency ${args.latencyB} ms, ${args.runsB} run(s)`);
  const src = join(scratch, 'b-src');
  const t0 = performance.now();
  const bytes = await makeSmallTree(src, n, 16, 64);
  console.log(`  tree: ${n} files, ${formatBytes(bytes)} (made in ${fmtS(performance.now() - t0)} s)`);
  await bench.startEmulator({});
  const bucket = 'bench-sync-b';
  await bench.createBucket(bucket);
  const prefix = 'tree';
  const populate: Config = {
    tool: 'b2sync',
    label: 'populate: b2sync --transfers 64',
    argv: (s, b, p) => ['sync', '--transfers', '64', s, `b2://${b}/${p}`],
  };
  const pop = await bench.runOnce('b-populate', populate, src, bucket, prefix);
  console.log(`  populated by b2sync --transfers 64: ${line(pop)}`);
  if ((pop.counters.calls.b2_upload_file ?? 0) !== n)
    throw new Error(`(b) populate uploaded ${pop.counters.calls.b2_upload_file} of ${n} files`);
  await bench.setLatency(args.latencyB);
  const configs = args.rclone ? [B2SYNC_DEFAULT, RCLONE_DEFAULT, RCLONE_FAST_LIST] : [B2SYNC_DEFAULT];
  const mine = configs.map((config) => ({ job: 'b', config, samples: [] as Sample[] }));
  await runRounds(
    bench,
    'b',
    args.runsB,
    mine,
    src,
    bucket,
    () => prefix,
    async (s, row, run) => {
      const writes = sum(s.counters, [...UPLOAD_CALLS, ...DELETES]);
      if (writes > 0) notes.push(`(b) ${row.config.label} run ${run + 1} was not a no-op: ${callList(s.counters)}`);
    },
  );
  rows.push(...mine);
}

async function jobC(bench: Bench, rows: Row[], notes: string[]): Promise<void> {
  const { args, scratch } = bench;
  console.log(`\n(c) one ${formatBytes(args.sizeC)} file up, emulator --data, ${args.runsC} run(s)`);
  const src = join(scratch, 'c-src');
  await mkdir(src);
  await makeBigFile(join(src, 'big.bin'), args.sizeC);
  const dataDir = join(scratch, 'c-emulator-data');
  await mkdir(dataDir);
  await bench.startEmulator({ dataDir });
  const bucket = 'bench-sync-c';
  await bench.createBucket(bucket);
  const configs = args.rclone ? [B2SYNC_DEFAULT, RCLONE_DEFAULT] : [B2SYNC_DEFAULT];
  const mine = configs.map((config) => ({ job: 'c', config, samples: [] as Sample[] }));
  await runRounds(
    bench,
    'c',
    args.runsC,
    mine,
    src,
    bucket,
    (run, row) => `run${run}-${row.config.tool}`,
    async (s, row, run, prefix) => {
      if (sum(s.counters, ['b2_finish_large_file', 'b2_upload_file']) !== 1)
        notes.push(`(c) ${row.config.label} run ${run + 1}: ${callList(s.counters)}`);
      await bench.deletePrefix(bucket, prefix); // keep the disk use to one copy
    },
  );
  await rm(dataDir, { recursive: true, force: true });
  rows.push(...mine);
}

/** The sample with the median wall time (lower middle for even counts). */
function medianSample(samples: Sample[]): Sample {
  const s = [...samples].sort((x, y) => x.m.ms - y.m.ms);
  return s[(s.length - 1) >> 1];
}

function jobTitle(job: string, a: Args): string {
  if (job === 'a') return `(a) ${a.filesA.toLocaleString('en-US')} small files up, ${a.latencyA} ms latency`;
  if (job === 'b')
    return `(b) no-op re-sync, ${a.filesB.toLocaleString('en-US')} files${a.latencyB ? `, ${a.latencyB} ms latency` : ''}`;
  return `(c) ${formatBytes(a.sizeC)} file up`;
}

function notable(job: string, c: Counters): string {
  const parts: string[] = [];
  const lists = sum(c, ['b2_list_file_names', 'b2_list_file_versions']);
  if (job === 'b') {
    parts.push(`list calls ${lists}`);
    const perFile = sum(c, PER_FILE_READS);
    parts.push(
      `file info / download calls ${perFile}${
        perFile
          ? ` (${PER_FILE_READS.filter((k) => c.calls[k])
              .map((k) => `${k.replace(/^b2_/, '')} ${c.calls[k]}`)
              .join(', ')})`
          : ''
      }`,
    );
    parts.push(
      `other: ${callList({ calls: Object.fromEntries(Object.entries(c.calls).filter(([k]) => !PER_FILE_READS.includes(k) && !k.startsWith('b2_list_file'))), classes: c.classes })}`,
    );
  } else {
    parts.push(callList(c));
  }
  return parts.join('; ');
}

function table(rows: Row[], a: Args): string[] {
  const out: string[] = [];
  out.push(
    '| job | tool | runs | median wall s | rclone / b2sync | peak RSS MiB | CPU s (emulator) | calls A / B / C | notable calls (median run) |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const job of ['a', 'b', 'c']) {
    const mine = rows.filter((r) => r.job === job);
    if (!mine.length) continue;
    const base = median(mine.find((r) => r.config.tool === 'b2sync')!.samples.map((s) => s.m.ms));
    for (const r of mine) {
      const wall = median(r.samples.map((s) => s.m.ms));
      const rss = Math.max(...r.samples.map((s) => s.m.peakRss));
      const cpu = median(r.samples.map((s) => s.m.cpuSeconds));
      const ecpu = median(r.samples.map((s) => s.emulatorCpu));
      const mid = medianSample(r.samples).counters;
      const ratio = r.config.tool === 'b2sync' ? '—' : `${(wall / base).toFixed(2)}×`;
      out.push(
        `| ${jobTitle(job, a)} | ${r.config.label} | ${r.samples.length} | ${fmtS(wall)} | ${ratio} | ${fmtMiB(rss)} | ${cpu.toFixed(1)} (${ecpu.toFixed(1)}) | ${mid.classes.A} / ${mid.classes.B} / ${mid.classes.C} | ${notable(job, mid)} |`,
      );
    }
  }
  return out;
}

function verdicts(rows: Row[], a: Args): string[] {
  const out: string[] = [];
  const wall = (job: string, c: Config) => {
    const r = rows.find((x) => x.job === job && x.config === c);
    return r ? median(r.samples.map((s) => s.m.ms)) : NaN;
  };
  const b2 = (job: string) => rows.find((x) => x.job === job && x.config === B2SYNC_DEFAULT);
  if (b2('a') && a.rclone) {
    const x = wall('a', RCLONE_DEFAULT) / wall('a', B2SYNC_DEFAULT);
    const y = wall('a', RCLONE_16) / wall('a', B2SYNC_DEFAULT);
    out.push(`(a) vs rclone defaults: ${x.toFixed(2)}× (target ≥ 3×): ${x >= 3 ? 'met' : 'MISSED'}`);
    out.push(`(a) vs rclone 16/16: ${y.toFixed(2)}× (target ≥ 1×): ${y >= 1 ? 'met' : 'MISSED'}`);
  }
  const rb = b2('b');
  if (rb) {
    const limit = Math.ceil(a.filesB / 10_000);
    const mid = medianSample(rb.samples).counters;
    const lists = Math.max(...rb.samples.map((s) => sum(s.counters, ['b2_list_file_names', 'b2_list_file_versions'])));
    const perFile = Math.max(...rb.samples.map((s) => sum(s.counters, PER_FILE_READS)));
    const rss = Math.max(...rb.samples.map((s) => s.m.peakRss));
    if (a.rclone) {
      const x = wall('b', RCLONE_DEFAULT) / wall('b', B2SYNC_DEFAULT);
      const y = wall('b', RCLONE_FAST_LIST) / wall('b', B2SYNC_DEFAULT);
      out.push(
        `(b) vs rclone defaults: ${x.toFixed(2)}×, vs rclone --fast-list: ${y.toFixed(2)}× (target > 1×): ${x > 1 && y > 1 ? 'met' : 'MISSED'}`,
      );
    }
    out.push(
      `(b) b2sync list calls ${lists} (target ≤ ${limit}): ${lists <= limit ? 'met' : 'MISSED'}; per-file calls ${perFile} (target 0): ${perFile === 0 ? 'met' : 'MISSED'} [${callList(mid)}]`,
    );
    out.push(`(b) b2sync peak RSS ${fmtMiB(rss)} MiB (target < 200 MB = 190.7 MiB): ${rss < 200e6 ? 'met' : 'MISSED'}`);
  }
  return out;
}

/** SHA-1 over src/ (paths and contents, sorted): names the exact sources measured, committed or not. */
async function srcFingerprint(): Promise<string> {
  const root = fileURLToPath(new URL('../src', import.meta.url));
  const files = (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))
    .sort();
  const h = createHash('sha1');
  for (const f of files)
    h.update(f.slice(root.length))
      .update('\0')
      .update(await readFile(f))
      .update('\0');
  return h.digest('hex').slice(0, 12);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rv = args.rclone ? rcloneVersion() : undefined;
  if (args.rclone && !rv) {
    console.log('rclone not found: b2sync only (install it with apt-get install rclone, or set B2SYNC_RCLONE_BIN)');
    args.rclone = false;
  }
  const scratch = await mkdtemp(join(args.dir, 'b2sync-sync-bench-'));
  const started = new Date();
  let bench: Bench | undefined;
  const stop = () => {
    void (async () => {
      await bench?.stopEmulator();
      await rm(scratch, { recursive: true, force: true });
      process.exit(130);
    })();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const rows: Row[] = [];
  const notes: string[] = [];
  let header = '';
  try {
    const fingerprint = await srcFingerprint();
    const bin = args.shipped ? SHIPPED_BIN : await buildPrivateCli();
    if (args.cpuProf) await mkdir(args.cpuProf, { recursive: true });
    bench = new Bench(args, scratch, bin);
    header = `sync benchmark ${started.toISOString()}: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${formatBytes(totalmem())} RAM; ${rv ?? 'no rclone'}; b2sync from ${args.shipped ? 'bin/b2sync.js (shipped dist/)' : 'a private tsc build of src/'} (src/ fingerprint ${fingerprint})`;
    console.log(header);
    if (args.jobs.has('a')) await jobA(bench, rows, notes);
    if (args.jobs.has('b')) await jobB(bench, rows, notes);
    if (args.jobs.has('c')) await jobC(bench, rows, notes);
  } finally {
    await bench?.stopEmulator();
    await rm(scratch, { recursive: true, force: true });
  }
  const t = table(rows, args);
  const v = verdicts(rows, args);
  console.log(
    `\nmedians over the runs; ratio = rclone's median wall / b2sync's (above 1: b2sync faster); peak RSS = max over the runs; calls from the median run\n`,
  );
  for (const l of t) console.log(l);
  console.log('');
  for (const l of v) console.log(l);
  for (const l of notes) console.log(`note: ${l}`);
  if (args.markdown) {
    await writeFile(
      args.markdown,
      [
        `command: node --import tsx bench/sync-bench.ts ${process.argv.slice(2).join(' ')}`,
        header,
        '',
        ...t,
        '',
        ...v.map((l) => `- ${l}`),
        ...notes.map((l) => `- note: ${l}`),
        '',
      ].join('\n'),
    );
  }
}

await main();
