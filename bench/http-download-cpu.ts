/**
 * CPU per GiB of one HTTP download by three clients, side by side: the lean GET (src/client/http/lean-get.ts, formerly client/raw-get.ts),
 * undici.request (its body stream read with for-await), and undici's dispatcher.dispatch with a handler
 * that hands each chunk straight to the writer. Starts the emulator in its own process (--data mode),
 * uploads one file to a public bucket, then runs bench/http-download-run.ts once per client per round,
 * the order rotating between rounds, and prints CPU s/GiB per run and the medians.
 *
 *   node --import tsx bench/http-download-cpu.ts [--size 1G] [--runs 4] [--dir /tmp] [--modes lean-get,request,dispatch]
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../src/core/parse.js';
import { uploadLocalFile } from '../src/transfer/index.js';
import { startBenchEmulator, writeRandomFile } from './lib/cpu-bench-setup.js';
import { median } from './lib/stats.js';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const bytes = parseSize(flag('size') ?? '1G')!;
const runs = Number(flag('runs') ?? 4);
const modes = (flag('modes') ?? 'lean-get,request,dispatch').split(',');
const GiB = 1024 ** 3;

const scratch = await mkdtemp(join(flag('dir') ?? tmpdir(), 'b2sync-httpcpu-'));
const dataDir = join(scratch, 'data');
await mkdir(dataDir);
const bench = await startBenchEmulator(dataDir);
const emu = bench.process;
try {
  const client = bench.client();
  const bucket = await client.createBucket({ bucketName: `httpcpu-${process.pid}`, bucketType: 'allPublic' });
  const src = join(scratch, 'src');
  const sha1 = await writeRandomFile(src, bytes);
  await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'f', localPath: src });
  const url = await client.downloadUrlByName(bucket.bucketName, 'f');
  await client.close();
  await rm(src);

  const cpu = new Map<string, number[]>(modes.map((m) => [m, []]));
  console.log(`download of ${flag('size') ?? '1G'}; CPU s/GiB (user+sys of the client process, request to last write)`);
  for (let i = 0; i < runs; i++) {
    const order = modes.map((_, k) => modes[(k + i) % modes.length]);
    for (const mode of order) {
      spawnSync('sync');
      const dst = join(scratch, 'dst');
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', join(root, 'bench', 'http-download-run.ts'), JSON.stringify({ url, path: dst, mode })],
        {
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
        bytes: number;
        sha1: string;
        cpuMs: number;
        ms: number;
      };
      if (out.bytes !== bytes || out.sha1 !== sha1)
        throw new Error(`${mode}: wrong body (${out.bytes} bytes, ${out.sha1})`);
      const perGiB = out.cpuMs / 1000 / (bytes / GiB);
      cpu.get(mode)!.push(perGiB);
      console.log(
        `  round ${i + 1} ${mode.padEnd(8)} ${perGiB.toFixed(2)} CPU s/GiB, ${(bytes / 1e6 / (out.ms / 1000)).toFixed(0)} MB/s`,
      );
      await rm(dst, { force: true });
    }
  }
  const base = median(cpu.get(modes[0])!);
  for (const [mode, xs] of cpu) {
    const m = median(xs);
    console.log(
      `${mode.padEnd(8)} median ${m.toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}), ${((m / base - 1) * 100).toFixed(0)}% vs ${modes[0]}`,
    );
  }
} finally {
  emu.stdin!.end();
  await once(emu, 'exit');
  await rm(scratch, { recursive: true, force: true });
}
