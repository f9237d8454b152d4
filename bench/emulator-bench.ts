/**
 * Emulator throughput and memory: uploads and downloads one big file through the emulator (run as a
 * child process, so its memory is its own) with curl and with rclone, and reports MB/s per run, medians,
 * and the emulator's peak RSS (VmHWM) per file size, in --data mode and, for comparison, in memory mode.
 *
 *   node --import tsx bench/emulator-bench.ts [--size 256M,1G] [--runs 3] [--dir /tmp] [--no-rclone] [--no-memory]
 *
 * MB/s are decimal (10^6 bytes/s), wall-clock per client command (rclone's include its SHA-1 pass over the
 * file before a large upload, and its SHA-1 check after a download).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatBytes, parseSize } from '../src/core/parse.js';
import { RawB2 } from './lib/b2-raw.js';
import { spawnEmulator, spawnSink } from './lib/emulator-process.js';
import { describeRun, rcloneVersion, runRclone } from './lib/rclone.js';
import { mbPerSecond, median } from './lib/stats.js';

interface Args {
  sizes: number[];
  runs: number;
  dir: string;
  rclone: boolean;
  memory: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [256 * 2 ** 20, 2 ** 30], runs: 3, dir: tmpdir(), rclone: true, memory: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--size' || flag === '--sizes') {
      a.sizes = val()
        .split(',')
        .map((s) => {
          const n = parseSize(s);
          if (!n) throw new Error(`bad size: ${s}`);
          return n;
        });
    } else if (flag === '--runs') a.runs = Math.max(1, Number(val()));
    else if (flag === '--dir') a.dir = val();
    else if (flag === '--no-rclone') a.rclone = false;
    else if (flag === '--no-memory') a.memory = false;
    else throw new Error(`unknown option ${flag}`);
  }
  return a;
}

interface ProcResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(cmd: string, args: string[]): Promise<ProcResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', (e) => resolve({ code: null, stdout, stderr: stderr + e.message, ms: performance.now() - t0 }));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** A file of random bytes (a 16 MiB random block repeated; nothing on the path compresses or dedupes). */
function makeFile(path: string, size: number): void {
  const block = randomBytes(16 * 2 ** 20);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(block.length, size - done);
      writeSync(fd, block, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

async function sha1File(path: string): Promise<string> {
  const r = await run('sha1sum', [path]);
  if (r.code !== 0) throw new Error(`sha1sum failed: ${r.stderr}`);
  return r.stdout.split(' ')[0];
}

const BUCKET = 'bench-emulator';

const OPS = ['curlUp', 'curlDown', 'rcloneUp', 'rcloneDown'] as const;
type Op = (typeof OPS)[number];

/** One timed client command: wall-clock ms, and CPU seconds the server process spent meanwhile. */
interface Sample {
  ms: number;
  serverCpu: number;
}

type Samples = Record<Op, Sample[]>;

interface SizeReport {
  size: number;
  server: 'data' | 'memory' | 'sink';
  samples: Samples;
  idleRss: number;
  peakRss: number;
}

function emptySamples(): Samples {
  return { curlUp: [], curlDown: [], rcloneUp: [], rcloneDown: [] };
}

/** Time `fn` (which returns its own wall-clock ms) and the server's CPU use over it. */
async function measure(samples: Samples, op: Op, cpu: () => number, fn: () => Promise<number>): Promise<void> {
  const c0 = cpu();
  const ms = await fn();
  samples[op].push({ ms, serverCpu: cpu() - c0 });
}

async function curlUpload(
  b2: RawB2,
  bucketId: string,
  file: string,
  name: string,
  sha1: string,
  size: number,
): Promise<number> {
  const up = await b2.getUploadUrl(bucketId);
  // -T streams the file (--data-binary @file would read it all into curl's memory first)
  const r = await run('curl', [
    '-sS',
    '-X',
    'POST',
    '-T',
    file,
    '-o',
    '-',
    '-w',
    '\n%{http_code}',
    '-H',
    'Expect:',
    '-H',
    `Authorization: ${up.authorizationToken}`,
    '-H',
    `X-Bz-File-Name: ${encodeURIComponent(name)}`,
    '-H',
    'Content-Type: application/octet-stream',
    '-H',
    `X-Bz-Content-Sha1: ${sha1}`,
    up.uploadUrl,
  ]);
  const nl = r.stdout.lastIndexOf('\n');
  const [body, status] = [r.stdout.slice(0, nl), r.stdout.slice(nl + 1)];
  if (r.code !== 0 || status !== '200')
    throw new Error(`curl upload failed (${r.code}, HTTP ${status}): ${body} ${r.stderr}`);
  const answer = JSON.parse(body);
  if (answer.contentSha1 !== sha1 || answer.contentLength !== size) throw new Error(`upload answered ${body}`);
  return r.ms;
}

async function curlDownload(url: string, authorization: string | undefined, size: number): Promise<number> {
  const auth = authorization ? ['-H', `Authorization: ${authorization}`] : [];
  const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', ...auth, url]);
  if (r.code !== 0 || r.stdout !== `200 ${size}`)
    throw new Error(`curl download failed (${r.code}): ${r.stdout} ${r.stderr}`);
  return r.ms;
}

function runLine(size: number, label: string, s: Samples, i: number, extra: string): string {
  const parts = OPS.filter((op) => s[op][i]).map((op) => `${op} ${mbPerSecond(size, s[op][i].ms).toFixed(0)}`);
  return `  ${formatBytes(size)} ${label} run ${i + 1}: ${parts.join(', ')} MB/s${extra}`;
}

async function benchEmulator(
  args: Args,
  size: number,
  file: string,
  sha1: string,
  mode: 'data' | 'memory',
  runs: number,
  withRclone: boolean,
): Promise<SizeReport> {
  const dataDir = mode === 'data' ? mkdtempSync(join(args.dir, 'b2sync-bench-data-')) : undefined;
  const child = await spawnEmulator(dataDir ? { dataDir } : {});
  const { url, keyId, applicationKey } = child.info;
  const samples = emptySamples();
  try {
    const idleRss = child.memory()?.rss ?? NaN;
    const b2 = await RawB2.authorize(url, keyId, applicationKey);
    const bucketId = await b2.createBucket(BUCKET);
    const target = { endpoint: url, keyId, applicationKey };
    const downloaded = join(args.dir, `b2sync-bench-down-${process.pid}.bin`);
    const flags = ['--retries', '1', '--low-level-retries', '1'];
    const rclone = async (cmd: string[]) => {
      const r = await runRclone(target, [...cmd, ...flags], { timeoutMs: 900_000 });
      if (r.code !== 0) throw new Error(describeRun(r));
      return r.durationMs;
    };
    for (let i = 0; i < runs; i++) {
      await measure(samples, 'curlUp', child.cpuSeconds, () => curlUpload(b2, bucketId, file, 'curl.bin', sha1, size));
      await measure(samples, 'curlDown', child.cpuSeconds, () =>
        curlDownload(b2.fileUrl(BUCKET, 'curl.bin'), b2.token, size),
      );
      if (withRclone) {
        await measure(samples, 'rcloneUp', child.cpuSeconds, () =>
          rclone(['copyto', file, `emu:${BUCKET}/rclone.bin`]),
        );
        await measure(samples, 'rcloneDown', child.cpuSeconds, () =>
          rclone(['copyto', `emu:${BUCKET}/rclone.bin`, downloaded]),
        );
        rmSync(downloaded, { force: true });
      }
      await b2.emptyBucket(BUCKET); // keep the data dir (and memory mode) from accumulating runs
      console.log(
        runLine(
          size,
          `emulator (${mode})`,
          samples,
          i,
          `; emulator peak RSS so far ${formatBytes(child.memory()?.peakRss ?? NaN)}`,
        ),
      );
    }
    return { size, server: mode, samples, idleRss, peakRss: child.memory()?.peakRss ?? NaN };
  } finally {
    await child.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** curl against the reference sink: what a bare Node HTTP server (hashing uploads) manages on this machine. */
async function benchSink(size: number, file: string, sha1: string, runs: number): Promise<SizeReport> {
  const sink = await spawnSink(file);
  const samples = emptySamples();
  try {
    for (let i = 0; i < runs; i++) {
      await measure(samples, 'curlUp', sink.cpuSeconds, async () => {
        const up = await run('curl', ['-sS', '-X', 'POST', '-T', file, '-H', 'Expect:', '-o', '-', sink.info.url]);
        if (up.code !== 0 || JSON.parse(up.stdout).contentSha1 !== sha1)
          throw new Error(`sink upload: ${up.stdout} ${up.stderr}`);
        return up.ms;
      });
      await measure(samples, 'curlDown', sink.cpuSeconds, () => curlDownload(sink.info.url, undefined, size));
      console.log(runLine(size, 'reference sink', samples, i, ''));
    }
    return { size, server: 'sink', samples, idleRss: NaN, peakRss: sink.memory()?.peakRss ?? NaN };
  } finally {
    await sink.stop();
  }
}

const SERVER_LABEL = { data: 'emulator --data', memory: 'emulator (memory)', sink: 'reference sink' } as const;

/** Median MB/s of a column, or a dash. */
function fmtRate(size: number, xs: Sample[]): string {
  return xs.length ? mbPerSecond(size, median(xs.map((x) => x.ms))).toFixed(0) : '—';
}

/** Median server CPU seconds per GiB moved, or a dash. */
function fmtCpu(size: number, xs: Sample[]): string {
  if (!xs.length) return '—';
  const perGiB = median(xs.map((x) => x.serverCpu)) / (size / 2 ** 30);
  return Number.isFinite(perGiB) ? perGiB.toFixed(2) : '—';
}

function fmtRss(n: number): string {
  return Number.isNaN(n) ? '—' : formatBytes(n);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const curlOk = (await run('curl', ['--version'])).code === 0;
  if (!curlOk) throw new Error('curl is required');
  const rclone = args.rclone ? rcloneVersion() : undefined;
  if (args.rclone && !rclone) console.log('rclone not found: curl only');
  console.log(
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${formatBytes(totalmem())} RAM; ${rclone ?? 'no rclone'}; curl`,
  );
  console.log(`sizes ${args.sizes.map(formatBytes).join(', ')}, ${args.runs} runs each, scratch in ${args.dir}`);

  const reports: SizeReport[] = [];
  for (const size of args.sizes) {
    const file = join(args.dir, `b2sync-bench-${process.pid}-${size}.bin`);
    try {
      makeFile(file, size);
      const sha1 = await sha1File(file);
      reports.push(await benchSink(size, file, sha1, args.runs));
      reports.push(await benchEmulator(args, size, file, sha1, 'data', args.runs, !!rclone));
      if (args.memory) reports.push(await benchEmulator(args, size, file, sha1, 'memory', 1, false));
    } finally {
      rmSync(file, { force: true });
    }
  }

  console.log("\nMedians: client throughput in MB/s (10^6 B/s), then the server's own CPU seconds per GiB moved");
  console.log(
    '| size | server | runs | curl up | curl down | rclone up | rclone down | server CPU s/GiB (curl up / curl down / rclone up / rclone down) | RSS idle | peak RSS (VmHWM) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of reports) {
    const s = r.samples;
    const cpu = OPS.map((op) => fmtCpu(r.size, s[op])).join(' / ');
    console.log(
      `| ${formatBytes(r.size)} | ${SERVER_LABEL[r.server]} | ${s.curlUp.length} | ${fmtRate(r.size, s.curlUp)} | ${fmtRate(r.size, s.curlDown)} | ${fmtRate(r.size, s.rcloneUp)} | ${fmtRate(r.size, s.rcloneDown)} | ${cpu} | ${fmtRss(r.idleRss)} | ${fmtRss(r.peakRss)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
