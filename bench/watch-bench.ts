/**
 * Watch benchmark (issue 14): `b2sync sync --watch` (or `bisync --watch`) as a child process against
 * the emulator (its own child process, 127.0.0.1, port 0), measured from outside:
 *
 *   latency  local write → object listed on the emulator (listing polled every ~20 ms), p50 / p95 over
 *            --changes changes, one every --gap ms, for each --settles value (target p95 < settle + 1 s)
 *   burst    --burst new files written at once: first write → last object listed, at --burst-latency ms
 *            emulator latency; beside `rclone copy` and a one-shot `b2sync sync` of the same files
 *   idle     --files files watched: the watcher's CPU over --idle-seconds (target < 1% of a core); its
 *            RSS before and after --files changes (every file rewritten, in 10 waves; target within 10%)
 *   remote   B2 → local: an object uploaded through the API → the local file exists, by --poll polling
 *            and by webhook (--events-listen and a notification rule on the emulator's bucket)
 *
 *   node --import tsx bench/watch-bench.ts [--command sync|bisync] [--changes 200] [--quick]
 *        [--jobs latency,burst,idle,remote] [--runs 3] [--settles 1000,200] [--gap 250] [--burst 1000]
 *        [--burst-settle 1000] [--burst-latency 20] [--files 10000] [--idle-seconds 60]
 *        [--remote-changes 20] [--poll 2000] [--no-rclone] [--markdown FILE] [--dir /tmp] [--bin FILE]
 *   --quick: --changes 40 --burst 200 --files 1000 --idle-seconds 10 --remote-changes 5 --runs 1
 *
 * Noisy figures (latency, burst, remote) are repeated --runs times and their medians reported; the
 * idle CPU is measured over --runs consecutive windows of one watcher. b2sync is the built
 * bin/b2sync.js (`npm run build` first; --bin: another entry taking the same arguments, run with
 * node); rclone is Debian's (or $B2SYNC_RCLONE_BIN).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from './lib/bucket-poll.js';
import { rcloneVersion } from './lib/rclone.js';
import { median } from './lib/stats.js';
import { SHIPPED_BIN } from './lib/sync-measure.js';
import { WatchContext, type WatchCommand } from './lib/watch-context.js';
import { burstRun, idleRun, latencyRun, type BurstRun, type IdleRun, type LatencyRun } from './lib/watch-local-jobs.js';
import { remoteRun, type RemoteRun } from './lib/watch-remote-job.js';

interface Args {
  command: WatchCommand;
  jobs: Set<string>;
  runs: number;
  changes: number;
  settles: number[];
  gapMs: number;
  burst: number;
  burstSettleMs: number;
  burstLatencyMs: number;
  files: number;
  idleSeconds: number;
  remoteChanges: number;
  pollMs: number;
  rclone: boolean;
  markdown?: string;
  dir: string;
  bin: string;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const a: Args = {
    command: 'sync',
    jobs: new Set(['latency', 'burst', 'idle', 'remote']),
    runs: quick ? 1 : 3,
    changes: quick ? 40 : 200,
    settles: [1000, 200],
    gapMs: 250,
    burst: quick ? 200 : 1000,
    burstSettleMs: 1000,
    burstLatencyMs: 20,
    files: quick ? 1000 : 10_000,
    idleSeconds: quick ? 10 : 60,
    remoteChanges: quick ? 5 : 20,
    pollMs: 2000,
    rclone: true,
    dir: tmpdir(),
    bin: SHIPPED_BIN,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (min = 0) => {
      const n = Number(val());
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected a whole number >= ${min}`);
      return n;
    };
    if (flag === '--quick') continue;
    else if (flag === '--command') {
      const c = val();
      if (c !== 'sync' && c !== 'bisync') throw new Error('--command: sync or bisync');
      a.command = c;
    } else if (flag === '--jobs') a.jobs = new Set(val().split(','));
    else if (flag === '--runs') a.runs = int(1);
    else if (flag === '--changes') a.changes = int(1);
    else if (flag === '--settles') a.settles = val().split(',').map(Number);
    else if (flag === '--gap') a.gapMs = int();
    else if (flag === '--burst') a.burst = int(1);
    else if (flag === '--burst-settle') a.burstSettleMs = int();
    else if (flag === '--burst-latency') a.burstLatencyMs = int();
    else if (flag === '--files') a.files = int(1);
    else if (flag === '--idle-seconds') a.idleSeconds = int(1);
    else if (flag === '--remote-changes') a.remoteChanges = int(1);
    else if (flag === '--poll') a.pollMs = int(1000);
    else if (flag === '--no-rclone') a.rclone = false;
    else if (flag === '--markdown') a.markdown = val();
    else if (flag === '--dir') a.dir = val();
    else if (flag === '--bin') a.bin = val();
    else throw new Error(`unknown option ${flag}`);
  }
  if (a.settles.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('--settles: whole ms, comma-separated');
  for (const j of a.jobs)
    if (!['latency', 'burst', 'idle', 'remote'].includes(j)) throw new Error(`--jobs: unknown job ${j}`);
  return a;
}

const s2 = (ms: number) => (ms / 1000).toFixed(2);
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const verdict = (ok: boolean) => (ok ? 'met' : '**MISSED**');

interface Results {
  latency: LatencyRun[];
  burst: BurstRun[];
  idle?: IdleRun;
  remote: RemoteRun[];
  notes: string[];
}

function latencyRows(r: Results, a: Args): string[] {
  const out: string[] = [];
  for (const settle of a.settles) {
    const runs = r.latency.filter((x) => x.settleMs === settle);
    if (!runs.length) continue;
    const p50 = runs.map((x) => percentile(x.latencies, 50));
    const p95 = runs.map((x) => percentile(x.latencies, 95));
    const max = Math.max(...runs.flatMap((x) => x.latencies));
    const target = settle + 1000;
    out.push(
      `| write → listed, settle ${settle} ms (${a.changes} changes, one per ${a.gapMs} ms) | ${runs.length} | p50 **${s2(median(p50))} s**, p95 **${s2(median(p95))} s** (p95 per run: ${p95.map(s2).join(', ')}; max ${s2(max)}) | p95 < ${s2(target)} s | ${verdict(median(p95) < target)} |`,
    );
  }
  return out;
}

function burstRows(r: Results, a: Args): string[] {
  if (!r.burst.length) return [];
  const watch = median(r.burst.map((x) => x.watchMs));
  const write = median(r.burst.map((x) => x.writeMs));
  const one = median(r.burst.map((x) => x.oneShot?.ms ?? NaN));
  const out = [
    `| burst of ${a.burst} new files (1–4 KiB), settle ${a.burstSettleMs} ms, ${a.burstLatencyMs} ms latency: first write → last listed | ${r.burst.length} | **${s2(watch)} s** (writing them ${s2(write)} s; runs ${r.burst.map((x) => s2(x.watchMs)).join(', ')}) | — | — |`,
    `| the same files, one-shot \`b2sync sync\` (spawn → exit) | ${r.burst.length} | ${s2(one)} s | — | — |`,
  ];
  if (r.burst[0]!.rclone) {
    const rc = median(r.burst.map((x) => x.rclone!.ms));
    out.push(
      `| the same files, \`rclone copy\` (defaults, spawn → exit) | ${r.burst.length} | ${s2(rc)} s: rclone / watch **${(rc / watch).toFixed(2)}×** | — | — |`,
    );
  }
  return out;
}

function idleRows(r: Results): string[] {
  const x = r.idle;
  if (!x) return [];
  const cpu = median(x.idleCpu);
  const growth = x.rssAfter / x.rssBefore - 1;
  return [
    `| first pass of ${x.files} files (start → all listed) | 1 | ${s2(x.initialMs)} s | — | — |`,
    `| idle CPU, ${x.files} files watched, ${x.idleWindowMs / 1000} s windows | ${x.idleCpu.length} | **${pct(cpu)}** of a core (windows: ${x.idleCpu.map(pct).join(', ')}) | < 1% | ${verdict(cpu < 0.01)} |`,
    `| RSS before → after ${x.changes} changes (${x.rssWaves.length} waves, ${s2(x.changesMs)} s, ${x.changesCpu.toFixed(1)} CPU s) | 1 | **${mib(x.rssBefore)} → ${mib(x.rssAfter)} MiB** (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%; after each wave: ${x.rssWaves.map(mib).join(', ')}; peak ${mib(x.peakRss)}) | within 10% | ${verdict(Math.abs(growth) <= 0.1)} |`,
  ];
}

function remoteRows(r: Results, a: Args): string[] {
  const out: string[] = [];
  for (const mode of ['poll', 'webhook'] as const) {
    const runs = r.remote.filter((x) => x.mode === mode);
    if (!runs.length) continue;
    const p50 = median(runs.map((x) => percentile(x.latencies, 50)));
    const p95 = median(runs.map((x) => percentile(x.latencies, 95)));
    const how = mode === 'poll' ? `--poll ${a.pollMs / 1000}s` : '--events-listen (webhook; --poll 60s)';
    out.push(
      `| B2 upload → local file, ${how}, ${a.remoteChanges} objects | ${runs.length} | p50 **${s2(p50)} s**, p95 ${s2(p95)} s (max ${s2(Math.max(...runs.flatMap((x) => x.latencies)))}) | — | — |`,
    );
  }
  return out;
}

function stopRow(r: Results): string[] {
  const all = [...r.latency, ...r.burst, ...r.remote, ...(r.idle ? [r.idle] : [])].map((x) => x.stopped);
  if (!all.length) return [];
  const codes = [...new Set(all.map((s) => s.code ?? s.signal))].join(', ');
  const worst = Math.max(...all.map((s) => s.ms));
  return [
    `| SIGTERM → exit (every watcher above) | ${all.length} | median ${s2(median(all.map((s) => s.ms)))} s, max ${s2(worst)} s, exit codes ${codes} | < 5 s, exit 0 | ${verdict(worst < 5000 && codes === '0')} |`,
  ];
}

function table(r: Results, a: Args): string[] {
  return [
    '| measure | runs | result (median of runs) | target | |',
    '|---|---|---|---|---|',
    ...latencyRows(r, a),
    ...burstRows(r, a),
    ...idleRows(r),
    ...remoteRows(r, a),
    ...stopRow(r),
  ];
}

async function runJobs(ctx: WatchContext, a: Args, r: Results): Promise<void> {
  const log = (s: string) => console.log(`  ${s}  [load ${loadavg()[0]!.toFixed(2)}]`);
  if (a.jobs.has('latency'))
    for (let run = 0; run < a.runs; run++)
      for (const settleMs of a.settles) {
        const x = await latencyRun(ctx, { settleMs, changes: a.changes, gapMs: a.gapMs });
        r.latency.push(x);
        log(
          `latency settle ${settleMs} ms run ${run + 1}: p50 ${s2(percentile(x.latencies, 50))} s, p95 ${s2(percentile(x.latencies, 95))} s, ready in ${s2(x.readyMs)} s`,
        );
      }
  if (a.jobs.has('burst'))
    for (let run = 0; run < a.runs; run++) {
      const opts = { files: a.burst, settleMs: a.burstSettleMs, latencyMs: a.burstLatencyMs, rclone: a.rclone };
      const x = await burstRun(ctx, opts);
      r.burst.push(x);
      log(
        `burst run ${run + 1}: watch ${s2(x.watchMs)} s, one-shot sync ${s2(x.oneShot?.ms ?? NaN)} s, rclone copy ${x.rclone ? s2(x.rclone.ms) : '-'} s`,
      );
    }
  if (a.jobs.has('idle')) {
    const opts = { files: a.files, windows: a.runs, windowMs: a.idleSeconds * 1000, changes: a.files, waves: 10 };
    const x = await idleRun(ctx, opts);
    r.idle = x;
    log(`idle: CPU ${x.idleCpu.map(pct).join(', ')}; RSS ${mib(x.rssBefore)} → ${mib(x.rssAfter)} MiB`);
  }
  if (a.jobs.has('remote'))
    for (let run = 0; run < a.runs; run++)
      for (const mode of ['poll', 'webhook'] as const) {
        const x = await remoteRun(ctx, { mode, changes: a.remoteChanges, pollMs: mode === 'poll' ? a.pollMs : 60_000 });
        r.remote.push(x);
        log(
          `remote ${mode} run ${run + 1}: p50 ${s2(percentile(x.latencies, 50))} s, max ${s2(Math.max(...x.latencies))} s`,
        );
        if (x.deliveries) log(`  emulator webhook deliveries: ${JSON.stringify(x.deliveries)}`);
      }
}

function gitHead(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return `${head}${dirty ? ' + uncommitted src/ changes' : ''}`;
  } catch {
    return 'unknown commit';
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.bin === SHIPPED_BIN && !existsSync(join(SHIPPED_BIN, '..', '..', 'dist', 'bundle', 'cli.js')))
    throw new Error('bench/watch-bench.ts runs the built CLI: run `npm run build` first');
  const rv = a.rclone ? rcloneVersion() : undefined;
  if (a.rclone && !rv) {
    console.log('rclone not found: burst without rclone (apt-get install rclone, or set B2SYNC_RCLONE_BIN)');
    a.rclone = false;
  }
  const started = new Date();
  const load0 = loadavg().map((x) => x.toFixed(2));
  const header = `watch benchmark ${started.toISOString()}: b2sync ${a.command} --watch at ${gitHead()}${a.bin === SHIPPED_BIN ? '' : ` (${a.bin})`}, node ${process.version}, ${cpus().length} CPUs, load average ${load0.join(' ')} at start; ${rv ?? 'no rclone'}`;
  console.log(header);
  const scratch = await mkdtemp(join(a.dir, 'b2sync-watch-bench-'));
  const r: Results = { latency: [], burst: [], remote: [], notes: [] };
  let ctx: WatchContext | undefined;
  const stop = () => void (ctx?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    ctx = await WatchContext.open(scratch, a.bin, a.command);
    await runJobs(ctx, a, r);
  } finally {
    await ctx?.close();
    await rm(scratch, { recursive: true, force: true });
  }
  for (const x of [...r.latency, ...r.burst, ...r.remote, ...(r.idle ? [r.idle] : [])])
    for (const e of x.errors.slice(0, 3)) r.notes.push(`watcher error line: ${e}`);
  const load1 = loadavg().map((x) => x.toFixed(2));
  const t = table(r, a);
  const footer = `ended ${new Date().toISOString()}, load average ${load1.join(' ')}`;
  console.log('\n' + t.join('\n') + '\n\n' + footer);
  for (const n of r.notes) console.log(`note: ${n}`);
  if (a.markdown) {
    const cmd = `node --import tsx bench/watch-bench.ts ${process.argv.slice(2).join(' ')}`;
    const md = [`command: ${cmd}`, header, '', ...t, '', footer, ...r.notes.map((n) => `- note: ${n}`), ''];
    await writeFile(a.markdown, md.join('\n'));
  }
}

await main();
