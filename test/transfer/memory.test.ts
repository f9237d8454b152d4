/**
 * Memory stays bounded: a 64 MB file moved in 5 MB parts (4 in flight) must not make the client's
 * RSS grow by anything like the file size. The emulator runs in a child process so only the client's
 * memory is measured. The growth is reported (diagnostic); the bound asserted is generous.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { B2Client } from '../../src/client/b2-client.js';
import { downloadToFile, uploadLocalFile } from '../../src/transfer/index.js';
import { makeBucket, tempDir } from './fixture.js';

const MB = 1024 * 1024;
let child: ChildProcess;
let client: B2Client;
let tmp: Awaited<ReturnType<typeof tempDir>>;

before(async () => {
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./emulator-child.ts', import.meta.url).pathname,
      JSON.stringify({ minPartSize: 5_000_000, recommendedPartSize: 5_000_000 }),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const info = JSON.parse(line) as { url: string; keyId: string; applicationKey: string };
  client = new B2Client({
    applicationKeyId: info.keyId,
    applicationKey: info.applicationKey,
    endpoint: info.url,
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
  });
  tmp = await tempDir();
});

after(async () => {
  await client?.close();
  child?.stdin?.end();
  if (child && child.exitCode === null) await once(child, 'exit');
  await tmp?.cleanup();
});

function sampler(): { stop: () => number } {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak - base;
    },
  };
}

/** Write `n` MiB of random bytes without holding them; returns their SHA-1. */
async function writeRandom(path: string, n: number): Promise<string> {
  const hash = createHash('sha1');
  const fh = await open(path, 'w');
  for (let i = 0; i < n; i++) {
    const b = randomBytes(MB);
    hash.update(b);
    await fh.write(b);
  }
  await fh.close();
  return hash.digest('hex');
}

async function sha1File(path: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const c of createReadStream(path)) hash.update(c as Buffer);
  return hash.digest('hex');
}

test('a 64 MB upload in 5 MB parts and its download keep RSS growth far below the file size', async (t) => {
  const bucket = await makeBucket(client, 'mem');
  const tuning = {
    largeFileCutoff: 10 * MB,
    partSize: 5 * MB,
    partConcurrency: 4,
    downloadParallelCutoff: 8 * MB,
    downloadStreams: 4,
  };
  // Warm up (JIT, connection pool, allocator) with a smaller file, so the measurement sees steady state.
  const warm = join(tmp.dir, 'warm');
  await writeRandom(warm, 16);
  const wv = await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'warm', localPath: warm, tuning });
  await downloadToFile(client, { source: { fileId: wv.fileId! }, localPath: warm + '.out', tuning });

  const src = join(tmp.dir, 'big');
  const want = await writeRandom(src, 64);

  const up = sampler();
  const fv = await uploadLocalFile(client, { bucketId: bucket.bucketId, fileName: 'big', localPath: src, tuning });
  const upGrowth = up.stop();
  assert.equal(fv.contentLength, 64 * MB);

  const down = sampler();
  const out = join(tmp.dir, 'big.out');
  await downloadToFile(client, { source: { fileId: fv.fileId! }, localPath: out, tuning });
  const downGrowth = down.stop();
  assert.equal(await sha1File(out), want);

  t.diagnostic(
    `RSS growth: upload ${(upGrowth / MB).toFixed(1)} MiB, parallel download ${(downGrowth / MB).toFixed(1)} MiB (file 64 MiB)`,
  );
  assert.ok(upGrowth < 48 * MB, `upload grew RSS by ${(upGrowth / MB).toFixed(1)} MiB`);
  assert.ok(downGrowth < 48 * MB, `download grew RSS by ${(downGrowth / MB).toFixed(1)} MiB`);
});
