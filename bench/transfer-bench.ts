/**
 * Transfer benchmark: upload and download of big files through the emulator (own process, --data
 * mode), by b2sync and by rclone with its defaults, against the local SHA-1 limit (sha1sum).
 *
 *   node --import tsx bench/transfer-bench.ts [--size 1G,4G] [--runs 4] [--dir /tmp] [--no-rclone] [--store disk|memory]
 *
 * --store: where the emulator keeps the bytes (default disk, its --data mode). With `memory` neither
 * tool's download depends on whether the emulator's blob is still in the page cache, which on this VM
 * (DAMON pageout) decides most of a download's time: whichever tool downloads first reads it from disk.
 *
 * b2sync runs as a bundled child process (bench/transfer-run.ts, bundled with esbuild so no TypeScript
 * loader is counted) with default tuning. Both tools download the file rclone uploaded (it carries
 * large_file_sha1, so both verify the SHA-1); without rclone, b2sync downloads its own upload. Times are wall-clock per process (start-up included, for
 * both tools); MB/s are 10^6 bytes per second; medians over the runs. Peak RSS from /usr/bin/time
 * (%M) when present, else b2sync's own process.resourceUsage().maxRSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { B2Client } from '../src/client/b2-client.js';
import { parseSize } from '../src/core/parse.js';
import { rcloneEnv, rcloneVersion, REMOTE } from './lib/rclone.js';
import { bundleTransferRunner } from './lib/bundle-runner.js';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
function flag(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
const sizes = (flag('size') ?? '1G,4G').split(',').map((s) => {
  const n = parseSize(s.trim());
  if (n === undefined) throw new Error(`bad --size ${s}`);
  return { label: s.trim(), bytes: n };
});
const runs = Number(flag('runs') ?? 4);
const baseDir = flag('dir') ?? tmpdir();
const useRclone = !args.includes('--no-rclone') && rcloneVersion() !== undefined;
const store = flag('store') ?? 'disk';
if (store !== 'disk' && store !== 'memory') throw new Error(`bad --store ${store}: disk or memory`);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Measure {
  ms: number;
  rssKiB?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Run a command, timing it wall-clock and (with /usr/bin/time) capturing its peak RSS. */
async function timed(
  cmd: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  scratch: string,
): Promise<Measure & { stdout: string }> {
  // Start each measurement with no dirty pages left by the previous one (its writeback would land on
  // whoever runs next).
  spawnSync('sync');
  const rssFile = join(scratch, `rss-${process.hrtime.bigint()}`);
  const [c, a] = TIME ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  const t0 = performance.now();
  const child = spawn(c, a, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${code}):\n${stderr.slice(-2000)}`);
  let rssKiB: number | undefined;
  if (TIME) {
    rssKiB = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
    await rm(rssFile, { force: true });
  }
  return { ms, rssKiB, stdout };
}

async function makeFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  const block = randomBytes(16 * 1024 * 1024);
  for (let off = 0; off < bytes; off += block.length) {
    const n = Math.min(block.length, bytes - off);
    block.writeUInt32LE(off / block.length, 0); // no two blocks alike
    await fh.write(block, 0, n);
  }
  await fh.close();
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(baseDir, 'b2sync-bench-'));
  const dataDir = join(scratch, 'emulator-data');
  await mkdir(dataDir);
  const runnerTs = join(root, 'bench', 'transfer-run.ts');
  let runnerArgs = ['--import', 'tsx', runnerTs];
  try {
    // esbuild comes with tsx; a bundle keeps the TypeScript loader out of b2sync's RSS.
    const runner = await bundleTransferRunner(join(root, 'node_modules', '.cache', 'b2sync-bench', 'transfer-run.mjs'));
    runnerArgs = [runner];
  } catch (err) {
    console.log(`(esbuild unavailable, running b2sync through tsx: ${(err as Error).message})`);
  }

  const emu = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'bench', 'transfer-emulator.ts'),
      JSON.stringify(store === 'disk' ? { dataDir } : {}),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: emu.stdout! }), 'line')) as [string];
  const target = JSON.parse(line) as { url: string; keyId: string; applicationKey: string };
  const client = new B2Client({
    applicationKeyId: target.keyId,
    applicationKey: target.applicationKey,
    endpoint: target.url,
    tokenCache: { kind: 'memory' },
  });
  const bucket = await client.createBucket({ bucketName: `bench-${process.pid}`, bucketType: 'allPrivate' });
  const rEnv = rcloneEnv({ endpoint: target.url, keyId: target.keyId, applicationKey: target.applicationKey });

  console.log(
    `transfer benchmark: ${runs} run(s) per size, emulator ${store === 'disk' ? `--data ${dataDir}` : 'in memory'}, ${useRclone ? rcloneVersion() : 'rclone not run'}`,
  );
  console.log(
    `node ${process.version}, ${cpus().length} CPU(s), load average at start ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const report: string[] = [];
  try {
    for (const size of sizes) {
      const src = join(scratch, `src-${size.label}`);
      await makeFile(src, size.bytes);
      const mb = size.bytes / 1e6;
      const res: Record<string, Measure[]> = { sha1sum: [], b2Up: [], b2Down: [], rcUp: [], rcDown: [] };
      for (let run = 0; run < runs; run++) {
        res.sha1sum.push(await timed('sha1sum', [src], process.env, scratch));

        const name = `b2sync-${size.label}-${run}`;
        const rname = `rclone-${size.label}-${run}`;
        const common = { ...target, bucketId: bucket.bucketId, bucketName: bucket.bucketName, fileName: name };
        let verified = false;
        let direct = false;
        const b2Up = async () => {
          const up = await timed(
            process.execPath,
            [...runnerArgs, JSON.stringify({ ...common, op: 'upload', localPath: src })],
            process.env,
            scratch,
          );
          res.b2Up.push({ ms: up.ms, rssKiB: up.rssKiB ?? (JSON.parse(up.stdout) as { maxRssKiB: number }).maxRssKiB });
        };
        const rcUp = async () => {
          res.rcUp.push(
            await timed('rclone', ['copyto', src, `${REMOTE}:${bucket.bucketName}/${rname}`], rEnv, scratch),
          );
        };
        // Both tools download rclone's upload when rclone runs: it carries large_file_sha1, so both verify the SHA-1.
        const downName = useRclone ? rname : name;
        const b2Down = async () => {
          const dst = join(scratch, `dst-${name}`);
          const down = await timed(
            process.execPath,
            [...runnerArgs, JSON.stringify({ ...common, fileName: downName, op: 'download', localPath: dst })],
            process.env,
            scratch,
          );
          const out = JSON.parse(down.stdout) as { maxRssKiB: number; sha1Verified: boolean; directIo?: boolean };
          verified = out.sha1Verified;
          direct = out.directIo === true;
          res.b2Down.push({ ms: down.ms, rssKiB: down.rssKiB ?? out.maxRssKiB });
          await rm(dst, { force: true });
        };
        const rcDown = async () => {
          const rdst = join(scratch, `dst-${rname}`);
          res.rcDown.push(
            await timed('rclone', ['copyto', `${REMOTE}:${bucket.bucketName}/${downName}`, rdst], rEnv, scratch),
          );
          await rm(rdst, { force: true });
        };
        // Alternate which tool goes first, so neither always meets the other's leftovers.
        const pairs: [() => Promise<void>, () => Promise<void>][] = useRclone
          ? [
              [b2Up, rcUp],
              [b2Down, rcDown],
            ]
          : [
              [b2Up, async () => {}],
              [b2Down, async () => {}],
            ];
        for (const [mine, theirs] of pairs) {
          if (run % 2 === 0) {
            await mine();
            await theirs();
          } else {
            await theirs();
            await mine();
          }
        }
        if (useRclone) await deleteAll(client, bucket.bucketId, rname);
        await deleteAll(client, bucket.bucketId, name);
        const fmt = (m: Measure) =>
          `${(mb / (m.ms / 1000)).toFixed(0)} MB/s${m.rssKiB ? ` ${(m.rssKiB / 1024).toFixed(0)} MiB` : ''}`;
        console.log(
          `  ${size.label} run ${run + 1}: sha1sum ${fmt(res.sha1sum[run])} | b2sync up ${fmt(res.b2Up[run])}, down ${fmt(res.b2Down[run])} (sha1 verified: ${verified}, O_DIRECT: ${direct})` +
            (useRclone ? ` | rclone up ${fmt(res.rcUp[run])}, down ${fmt(res.rcDown[run])}` : ''),
        );
      }
      await rm(src, { force: true });
      const rate = (ms: Measure[]) => mb / (median(ms.map((m) => m.ms)) / 1000);
      const rss = (ms: Measure[]) =>
        ms[0]?.rssKiB !== undefined ? Math.max(...ms.map((m) => m.rssKiB ?? 0)) / 1024 : NaN;
      const sha = rate(res.sha1sum);
      const row = (label: string, b2: Measure[], rc: Measure[]) => {
        const b = rate(b2);
        const r = useRclone ? rate(rc) : NaN;
        return `| ${size.label} | ${label} | ${b.toFixed(0)} | ${useRclone ? r.toFixed(0) : '–'} | ${useRclone ? (b / r).toFixed(2) : '–'} | ${sha.toFixed(0)} | ${((100 * b) / sha).toFixed(0)}% | ${rss(b2).toFixed(0)} | ${useRclone ? rss(rc).toFixed(0) : '–'} |`;
      };
      report.push(row('upload', res.b2Up, res.rcUp), row('download', res.b2Down, res.rcDown));
    }
  } finally {
    await client.close();
    emu.stdin!.end();
    await once(emu, 'exit');
    await rm(scratch, { recursive: true, force: true });
  }
  console.log(
    `\nmedians of ${runs} run(s); MB = 10^6 bytes; RSS = peak over the runs; load average at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n`,
  );
  console.log(
    '| size | direction | b2sync MB/s | rclone MB/s | b2sync/rclone | sha1sum MB/s | b2sync vs sha1sum | b2sync peak RSS MiB | rclone peak RSS MiB |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of report) console.log(r);
}

async function deleteAll(client: B2Client, bucketId: string, name: string): Promise<void> {
  for await (const f of client.listFileVersions(bucketId, { prefix: name })) {
    if (f.fileName === name && f.fileId) await client.deleteFileVersion(f.fileName, f.fileId);
  }
}

await main();
