/**
 * Client CPU per GiB of a 1 GiB upload (uploadLocalFile, default tuning) against the CPU of SHA-1
 * alone over the same file (read with a stream and hashed with node:crypto), alternating, in their
 * own processes; the emulator runs in a third (--data mode).
 *
 *   node --import tsx bench/http-upload-cpu.ts [--size 1G] [--runs 4] [--dir /tmp] [--liftoff] [--floor]
 *     [--only-liftoff] [--base DIR] [--sha1-reuse]
 *
 * --floor: also time the floor of an upload without HTTP: the same read and SHA-1, the bytes written to
 * a loopback TCP socket whose reader (another process) discards them.
 * --liftoff: also run the upload under `node --liftoff-only` (undici's llhttp WebAssembly never tiered
 * up to TurboFan, as bin/b2sync.js runs it), interleaved with the default upload.
 * --only-liftoff: run the uploads under `--liftoff-only` only (as bin/ runs them).
 * --base DIR: also upload with another checkout's code (DIR/bench/http-upload-run.ts, e.g. the commit
 * before a change, extracted with `git archive` and given a node_modules link), interleaved as
 * `base`: before and after in the same run.
 * --sha1-reuse: also time SHA-1 alone read into one reused buffer (a stricter reference than the
 * stream's fresh buffer per chunk).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/core/parse.js';
import { startBenchEmulator, writeRandomFile } from './lib/cpu-bench-setup.js';
import { median } from './lib/stats.js';

const root = new URL('..', import.meta.url).pathname;

/** A TCP server in its own process that reads and discards whatever it is sent (for --floor). */
async function startSink(): Promise<{ port: number; child: ChildProcess }> {
  const code =
    "const s=require('net').createServer((c)=>c.on('data',()=>{}));s.listen(0,'127.0.0.1',()=>console.log(s.address().port))";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), child };
}
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const bytes = parseSize(flag('size') ?? '1G')!;
const runs = Number(flag('runs') ?? 4);
const GiB = 1024 ** 3;

const scratch = await mkdtemp(join(flag('dir') ?? tmpdir(), 'b2sync-upcpu-'));
const dataDir = join(scratch, 'data');
await mkdir(dataDir);
const bench = await startBenchEmulator(dataDir);
const emu = bench.process;
const sink = args.includes('--floor') ? await startSink() : undefined;
try {
  const target = bench.target;
  const client = bench.client();
  const bucket = await client.createBucket({ bucketName: `upcpu-${process.pid}`, bucketType: 'allPrivate' });
  await client.close();
  const sinkPort = sink?.port;
  const src = join(scratch, 'src');
  await writeRandomFile(src, bytes);
  const onlyLiftoff = args.includes('--only-liftoff');
  const lift = onlyLiftoff || args.includes('--liftoff');
  const ups = [...(onlyLiftoff ? [] : ['upload']), ...(lift ? ['upload-liftoff'] : [])];
  const base = flag('base');
  if (base) ups.push(...(onlyLiftoff ? [] : ['base']), ...(lift ? ['base-liftoff'] : []));
  const ops = [...ups, 'sha1', ...(args.includes('--sha1-reuse') ? ['sha1reuse'] : [])];
  if (args.includes('--floor')) ops.push('floor');
  const cpu = new Map<string, number[]>(ops.map((op) => [op, []]));
  for (let i = 0; i < runs; i++) {
    for (const op of i % 2 ? [...ops].reverse() : ops) {
      spawnSync('sync');
      const kind = op.startsWith('base') ? 'upload' : op.split('-')[0];
      const job = JSON.stringify({ ...target, op: kind, bucketId: bucket.bucketId, path: src, sinkPort });
      const flags = op.endsWith('-liftoff') ? ['--liftoff-only'] : [];
      const script = join(op.startsWith('base') ? base! : root, 'bench', 'http-upload-run.ts');
      const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', script, job], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { cpuMs: number; ms: number };
      const perGiB = out.cpuMs / 1000 / (bytes / GiB);
      cpu.get(op)!.push(perGiB);
      console.log(
        `  round ${i + 1} ${op.padEnd(14)} ${perGiB.toFixed(2)} CPU s/GiB, ${(bytes / 1e6 / (out.ms / 1000)).toFixed(0)} MB/s`,
      );
    }
  }
  const sha = median(cpu.get('sha1')!);
  console.log(`sha1 alone median ${sha.toFixed(2)} CPU s/GiB`);
  const reuse = cpu.get('sha1reuse');
  if (reuse) console.log(`sha1 alone, one reused buffer, median ${median(reuse).toFixed(2)} CPU s/GiB`);
  for (const op of ops.filter((o) => !o.startsWith('sha1'))) {
    const m = median(cpu.get(op)!);
    const what =
      op === 'floor' ? 'floor (read + SHA-1 + loopback TCP write)' : op.replace('-liftoff', ' --liftoff-only');
    const strict = reuse ? `, ${(m / median(reuse)).toFixed(2)}x with a reused buffer` : '';
    console.log(`${what} median ${m.toFixed(2)} CPU s/GiB: ${(m / sha).toFixed(2)}x SHA-1 alone${strict}`);
  }
} finally {
  sink?.child.kill();
  emu.stdin!.end();
  await once(emu, 'exit');
  await rm(scratch, { recursive: true, force: true });
}
