/**
 * Client CPU per GiB of a 1 GiB upload (uploadLocalFile, default tuning) against the CPU of SHA-1
 * alone over the same file (read with a stream and hashed with node:crypto), alternating, in their
 * own processes; the emulator runs in a third (--data mode).
 *
 *   node --import tsx bench/http-upload-cpu.ts [--size 1G] [--runs 4] [--dir /tmp]
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { B2Client } from '../src/client/b2-client.js';
import { parseSize } from '../src/core/parse.js';
import { median } from './lib/stats.js';

const root = new URL('..', import.meta.url).pathname;
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
const emu = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'bench', 'transfer-emulator.ts'), JSON.stringify({ dataDir })],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
try {
  const [line] = (await once(createInterface({ input: emu.stdout! }), 'line')) as [string];
  const target = JSON.parse(line) as { url: string; keyId: string; applicationKey: string };
  const client = new B2Client({
    applicationKeyId: target.keyId,
    applicationKey: target.applicationKey,
    endpoint: target.url,
    tokenCache: { kind: 'memory' },
  });
  const bucket = await client.createBucket({ bucketName: `upcpu-${process.pid}`, bucketType: 'allPrivate' });
  await client.close();
  const src = join(scratch, 'src');
  const fh = await open(src, 'w');
  const block = randomBytes(16 * 1024 * 1024);
  for (let off = 0; off < bytes; off += block.length) {
    block.writeUInt32LE(off / block.length, 0);
    await fh.write(block.subarray(0, Math.min(block.length, bytes - off)));
  }
  await fh.close();
  const cpu = new Map<string, number[]>([
    ['upload', []],
    ['sha1', []],
  ]);
  for (let i = 0; i < runs; i++) {
    for (const op of i % 2 ? ['sha1', 'upload'] : ['upload', 'sha1']) {
      spawnSync('sync');
      const job = JSON.stringify({ ...target, op, bucketId: bucket.bucketId, path: src });
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'http-upload-run.ts'), job], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`${op} failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { cpuMs: number; ms: number };
      const perGiB = out.cpuMs / 1000 / (bytes / GiB);
      cpu.get(op)!.push(perGiB);
      console.log(
        `  round ${i + 1} ${op.padEnd(6)} ${perGiB.toFixed(2)} CPU s/GiB, ${(bytes / 1e6 / (out.ms / 1000)).toFixed(0)} MB/s`,
      );
    }
  }
  const up = median(cpu.get('upload')!);
  const sha = median(cpu.get('sha1')!);
  console.log(`upload median ${up.toFixed(2)} CPU s/GiB, sha1 alone ${sha.toFixed(2)}: ${(up / sha).toFixed(2)}x`);
} finally {
  emu.stdin!.end();
  await once(emu, 'exit');
  await rm(scratch, { recursive: true, force: true });
}
