/** Set-up shared by the CPU-per-GiB benches: an emulator in its own process (--data mode) and a random test file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { B2Client } from '../../src/client/b2-client.js';

const root = new URL('../..', import.meta.url).pathname;

export interface BenchEmulator {
  process: ChildProcess;
  target: { url: string; keyId: string; applicationKey: string };
  /** A client of the emulator, token kept in memory. */
  client(): B2Client;
}

/** Start bench/transfer-emulator.ts storing under dataDir; end it with `process.stdin.end()`. */
export async function startBenchEmulator(dataDir: string): Promise<BenchEmulator> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench', 'transfer-emulator.ts'), JSON.stringify({ dataDir })],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const target = JSON.parse(line) as BenchEmulator['target'];
  const client = () =>
    new B2Client({
      applicationKeyId: target.keyId,
      applicationKey: target.applicationKey,
      endpoint: target.url,
      tokenCache: { kind: 'memory' },
    });
  return { process: child, target, client };
}

/** Write `bytes` of random data (16 MiB blocks, each numbered) to path; returns its SHA-1 (hex). */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha1');
  const fh = await open(path, 'w');
  const block = randomBytes(16 * 1024 * 1024);
  for (let off = 0; off < bytes; off += block.length) {
    block.writeUInt32LE(off / block.length, 0);
    const piece = block.subarray(0, Math.min(block.length, bytes - off));
    hash.update(piece);
    await fh.write(piece);
  }
  await fh.close();
  return hash.digest('hex');
}
