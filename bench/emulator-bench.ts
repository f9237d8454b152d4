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
    for (let done = 0; done < size; ) {
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

interface Timings {
  curlUp: number[];
  curlDown: number[];
  rcloneUp: number[];
  rcloneDown: number[];
}

interface SizeReport {
  size: number;
  mode: 'data' | 'memory' | 'sink';
  timings: Timings;
  idleRss: number;
  peakRss: number;
}

async function curlUpload(b2: RawB2, bucketId: string, file: string, name: string, sha1: string, size: number): Promise<number> {
  const up = await b2.getUploadUrl(bucketId);
  const r = await run('curl', [
    '-sS', '-X', 'POST', '-T', file, '-o', '-', '-w', '\n%{http_code}',
    '-H', 'Expect:',
    '-H', `Authorization: ${up.authorizationToken}`,
    '-H', `X-Bz-File-Name: ${encodeURIComponent(name)}`,
    '-H', 'Content-Type: application/octet-stream',
    '-H', `X-Bz-Content-Sha1: ${sha1}`,
    up.uploadUrl,
  ]);
  const [body, status] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
  if (r.code !== 0 || status !== '200') throw new Error(`curl upload failed (${r.code}, HTTP ${status}): ${body} ${r.stderr}`);
  const file0 = JSON.parse(body);
  if (file0.contentSha1 !== sha1 || file0.contentLength !== size) throw new Error(`upload answered ${body}`);
  return r.ms;
}

async function curlDownload(b2: RawB2, name: string, size: number): Promise<number> {
  const r = await run('curl', [
    '-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}',
    '-H', `Authorization: ${b2.token}`,
    b2.fileUrl(BUCKET, name),
  ]);
  if (r.code !== 0 || r.stdout !== `200 ${size}`) throw new Error(`curl download failed (${r.code}): ${r.stdout} ${r.stderr}`);
  return r.ms;
}

async function benchOne(args: Args, size: number, file: string, sha1: string, mode: 'data' | 'memory', runs: number, withRclone: boolean): Promise<SizeReport> {
  const dataDir = mode === 'data' ? mkdtempSync(join(args.dir, 'b2sync-bench-data-')) : undefined;
  const child = await spawnEmulator(dataDir ? { dataDir } : {});
  const emu = { ...child.info, memory: child.memory };
  const timings: Timings = { curlUp: [], curlDown: [], rcloneUp: [], rcloneDown: [] };
  try {
    const idleRss = emu.memory()?.rss ?? NaN;
    const b2 = await RawB2.authorize(emu.url, emu.keyId, emu.applicationKey);
    const bucketId = await b2.createBucket(BUCKET);
    const target = { endpoint: emu.url, keyId: emu.keyId, applicationKey: emu.applicationKey };
    const downloaded = join(args.dir, `b2sync-bench-down-${process.pid}.bin`);
    for (let i = 0; i < runs; i++) {
      timings.curlUp.push(await curlUpload(b2, bucketId, file, 'curl.bin', sha1, size));
      timings.curlDown.push(await curlDownload(b2, 'curl.bin', size));
      if (withRclone) {
        const flags = ['--retries', '1', '--low-level-retries', '1'];
        const up = await runRclone(target, ['copyto', ...flags, file, `emu:${BUCKET}/rclone.bin`], { timeoutMs: 600_000 });
        if (up.code !== 0) throw new Error(describeRun(up));
        timings.rcloneUp.push(up.durationMs);
        const down = await runRclone(target, ['copyto', ...flags, `emu:${BUCKET}/rclone.bin`, downloaded], { timeoutMs: 600_000 });
        if (down.code !== 0) throw new Error(describeRun(down));
        timings.rcloneDown.push(down.durationMs);
        rmSync(downloaded, { force: true });
      }
      await b2.emptyBucket(BUCKET); // keep the data dir (and memory mode) from accumulating runs
      const line = [
        `  ${formatBytes(size)} ${mode} run ${i + 1}:`,
        `curl up ${mbPerSecond(size, timings.curlUp[i]).toFixed(0)}`,
        `down ${mbPerSecond(size, timings.curlDown[i]).toFixed(0)}`,
        withRclone ? `| rclone up ${mbPerSecond(size, timings.rcloneUp[i]).toFixed(0)}` : '',
        withRclone ? `down ${mbPerSecond(size, timings.rcloneDown[i]).toFixed(0)}` : '',
        `MB/s | emulator peak RSS so far ${formatBytes(emu.memory()?.peakRss ?? NaN)}`,
      ];
      console.log(line.filter(Boolean).join(' '));
    }
    const peakRss = emu.memory()?.peakRss ?? NaN;
    return { size, mode, timings, idleRss, peakRss };
  } finally {
    await child.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** curl against the reference sink: the ceiling for a Node HTTP server hashing uploads on this machine. */
async function benchSink(size: number, file: string, sha1: string, runs: number): Promise<Timings> {
  const sink = await spawnSink(file);
  const timings: Timings = { curlUp: [], curlDown: [], rcloneUp: [], rcloneDown: [] };
  try {
    for (let i = 0; i < runs; i++) {
      const up = await run('curl', ['-sS', '-X', 'POST', '-T', file, '-H', 'Expect:', '-o', '-', sink.info.url]);
      if (up.code !== 0 || JSON.parse(up.stdout).contentSha1 !== sha1) throw new Error(`sink upload: ${up.stdout} ${up.stderr}`);
      timings.curlUp.push(up.ms);
      const down = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', sink.info.url]);
      if (down.code !== 0 || down.stdout !== String(size)) throw new Error(`sink download: ${down.stdout} ${down.stderr}`);
      timings.curlDown.push(down.ms);
    }
  } finally {
    await sink.stop();
  }
  console.log(`  ${formatBytes(size)} reference sink: curl up ${fmtMed(size, timings.curlUp)} down ${fmtMed(size, timings.curlDown)} MB/s (median)`);
  return timings;
}

const STORE_LABEL = { data: 'emulator --data', memory: 'emulator, memory', sink: 'reference sink' } as const;

function fmtMed(size: number, ms: number[]): string {
  if (ms.length === 0) return '—';
  return mbPerSecond(size, median(ms)).toFixed(0);
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
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${formatBytes(totalmem())} RAM; ${rclone ?? 'no rclone'}; curl`);
  console.log(`sizes ${args.sizes.map(formatBytes).join(', ')}, ${args.runs} runs each, scratch in ${args.dir}`);

  const reports: SizeReport[] = [];
  for (const size of args.sizes) {
    const file = join(args.dir, `b2sync-bench-${process.pid}-${size}.bin`);
    try {
      makeFile(file, size);
      const sha1 = await sha1File(file);
      reports.push({ size, mode: 'sink', timings: await benchSink(size, file, sha1, args.runs), idleRss: NaN, peakRss: NaN });
      reports.push(await benchOne(args, size, file, sha1, 'data', args.runs, !!rclone));
      if (args.memory) reports.push(await benchOne(args, size, file, sha1, 'memory', 1, false));
    } finally {
      rmSync(file, { force: true });
    }
  }

  console.log('\nMedians (MB/s, decimal) and emulator memory:');
  console.log('| size | server | runs | curl up | curl down | rclone up | rclone down | RSS idle | peak RSS (VmHWM) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of reports) {
    const t = r.timings;
    console.log(
      `| ${formatBytes(r.size)} | ${STORE_LABEL[r.mode]} | ${t.curlUp.length} | ${fmtMed(r.size, t.curlUp)} | ${fmtMed(r.size, t.curlDown)} | ${fmtMed(r.size, t.rcloneUp)} | ${fmtMed(r.size, t.rcloneDown)} | ${fmtRss(r.idleRss)} | ${fmtRss(r.peakRss)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
