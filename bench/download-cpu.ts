/**
 * CPU and peak RSS of b2sync downloads (not wall clock, which a shared machine makes unreliable).
 * Starts the emulator in its own process (--data mode), uploads one file with large_file_sha1, then
 * downloads it `--runs` times with the bundled bench/transfer-run.ts under `/usr/bin/time` and
 * prints user+sys CPU seconds per GiB and peak RSS per run and their medians.
 *
 *   node --import tsx bench/download-cpu.ts [--size 1G] [--runs 5] [--dir /tmp] [--tuning '{"downloadStreams":1}'] [--direct-io]
 *       [--bundle path.mjs]   (a runner bundled earlier, e.g. from another version of the code)
 *       [--node-args '--trace-gc'] (GC lines are summarised; --dump FILE keeps the child's stdout)
 *       [--wrap 'perf record -g -o /tmp/perf.data --'] (a command put in front of node)
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/core/parse.js';
import { uploadLocalFile } from '../src/transfer/index.js';
import { startBenchEmulator, writeRandomFile } from './lib/cpu-bench-setup.js';
import { bundleTransferRunner } from './lib/bundle-runner.js';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const bytes = parseSize(flag('size') ?? '1G')!;
const runs = Number(flag('runs') ?? 5);
const parsedTuning = flag('tuning') ? (JSON.parse(flag('tuning')!) as Record<string, number | boolean>) : undefined;
// --direct-io: the opt-in O_DIRECT writer (tuning.directIo).
const tuning = args.includes('--direct-io') ? { ...parsedTuning, directIo: true } : parsedTuning;
const wrap = (flag('wrap') ?? '').split(' ').filter(Boolean);
const nodeArgs = (flag('node-args') ?? '').split(' ').filter(Boolean);
const GiB = 1024 ** 3;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const scratch = await mkdtemp(join(flag('dir') ?? tmpdir(), 'b2sync-dlcpu-'));
let runner = flag('bundle');
if (!runner) {
  runner = await bundleTransferRunner(join(root, 'node_modules', '.cache', 'b2sync-bench', 'download-cpu-run.mjs')); // inside the repo, so packages resolve
}
const dataDir = join(scratch, 'data');
await mkdir(dataDir);
const bench = await startBenchEmulator(dataDir);
const emu = bench.process;
try {
  const target = bench.target;
  const client = bench.client();
  const bucket = await client.createBucket({ bucketName: `dlcpu-${process.pid}`, bucketType: 'allPrivate' });
  const src = join(scratch, 'src');
  const sha1 = await writeRandomFile(src, bytes);
  await uploadLocalFile(client, {
    bucketId: bucket.bucketId,
    fileName: 'f',
    localPath: src,
    info: { large_file_sha1: sha1 },
  });
  await client.close();
  await rm(src);

  const cpu: number[] = [];
  const rss: number[] = [];
  console.log(`download of ${flag('size') ?? '1G'}, tuning ${JSON.stringify(tuning ?? {})}, runner ${runner}`);
  for (let i = 0; i < runs; i++) {
    spawnSync('sync');
    const dst = join(scratch, 'dst');
    const timeFile = join(scratch, 'time');
    const job = JSON.stringify({
      ...target,
      op: 'download',
      bucketId: bucket.bucketId,
      bucketName: bucket.bucketName,
      fileName: 'f',
      localPath: dst,
      tuning,
    });
    const r = spawnSync(
      '/usr/bin/time',
      ['-f', '%U %S %M', '-o', timeFile, ...wrap, process.execPath, ...nodeArgs, runner, job],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`run failed: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    if (lines.length > 1) {
      const kinds = new Map<string, number>();
      for (const l of lines.slice(0, -1)) {
        const k =
          /(Scavenge|Mark-Compact|Mark-Compact \(reduce\)|Minor Mark-Sweep)[^,]*?(?=\s\d)|\b(allocation failure|external memory pressure|finalize incremental marking via task|finalize incremental marking via stack guard|task)\b/g;
        const m = l.match(k);
        if (m) kinds.set(m.join(' / '), (kinds.get(m.join(' / ')) ?? 0) + 1);
      }
      console.log('  other output:', [...kinds].map(([k, n]) => `${n}× ${k}`).join('; '));
    }
    if (flag('dump')) await (await import('node:fs/promises')).writeFile(flag('dump')!, r.stdout);
    const out = JSON.parse(lines.at(-1)!) as { ms: number; sha1Verified: boolean };
    if (!out.sha1Verified) throw new Error('not verified');
    const [u, s, m] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
    cpu.push((u + s) / (bytes / GiB));
    rss.push(m / 1024);
    console.log(
      `  run ${i + 1}: user ${u.toFixed(2)} s, sys ${s.toFixed(2)} s, ${((u + s) / (bytes / GiB)).toFixed(2)} CPU s/GiB, peak RSS ${(m / 1024).toFixed(0)} MiB, ${(bytes / 1e6 / (out.ms / 1000)).toFixed(0)} MB/s`,
    );
    await rm(dst, { force: true });
  }
  console.log(
    `median ${median(cpu).toFixed(2)} CPU s/GiB (min ${Math.min(...cpu).toFixed(2)}), peak RSS median ${median(rss).toFixed(0)} MiB (max ${Math.max(...rss).toFixed(0)})`,
  );
} finally {
  emu.stdin!.end();
  await once(emu, 'exit');
  await rm(scratch, { recursive: true, force: true });
}
