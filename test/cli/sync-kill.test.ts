/**
 * sync from B2 to a folder, SIGKILLed at random moments and run under a fault storm: a file under its
 * final name is always either its old bytes or its new bytes (never torn), a re-run completes, and the
 * folder then matches the bucket byte for byte, with no temp files left and the extra file deleted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-kill-bucket';
const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex');
/** name -> SHA-1 of the bucket's bytes, and of the older local bytes the sync replaces. */
const remote = new Map<string, string>();
const old = new Map<string, Buffer>();

before(async () => {
  fx = await makeFixture();
  const src = join(fx.dir, 'src');
  await mkdir(join(src, 'd'), { recursive: true });
  for (let i = 0; i < 24; i++) {
    const name = `d/f${i}.bin`;
    // mostly small files, a few of several MiB
    const data = randomBytes(i % 6 === 0 ? 3 * 1024 * 1024 + i : randomInt(1, 64 * 1024));
    await writeFile(join(src, name), data);
    remote.set(name, sha(data));
    if (i % 3 === 0) old.set(name, randomBytes(1000 + i));
  }
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  expectCode(await fx.run(['sync', src, `b2://${B}/`]), 0);
});
after(() => fx.close());

async function freshDestination(name: string): Promise<string> {
  const dst = join(fx.dir, name);
  await rm(dst, { recursive: true, force: true });
  await mkdir(join(dst, 'd'), { recursive: true });
  for (const [n, data] of old) await writeFile(join(dst, n), data);
  await writeFile(join(dst, 'd', 'extra.txt'), 'not in the bucket');
  return dst;
}

/** Every file under a final name holds its old bytes or the bucket's, whole. */
async function assertNeverTorn(dst: string): Promise<void> {
  for (const e of await readdir(join(dst, 'd'))) {
    if (e.endsWith('.b2sync-tmp') || e.includes('.b2sync-')) continue;
    const name = `d/${e}`;
    const got = await readFile(join(dst, name));
    if (name === 'd/extra.txt') continue;
    const ok = sha(got) === remote.get(name) || (old.has(name) && old.get(name)!.equals(got));
    assert.ok(ok, `${name} holds bytes that are neither its old content nor the bucket's (${got.length} bytes)`);
  }
}

async function assertComplete(dst: string): Promise<void> {
  const names = (await readdir(join(dst, 'd'))).sort();
  assert.deepEqual(names, [...remote.keys()].map((n) => n.slice(2)).sort(), 'the folder holds exactly the bucket');
  for (const [name, h] of remote) assert.equal(sha(await readFile(join(dst, name))), h, `${name} matches the bucket`);
}

function killedSync(dst: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sync', '--transfers', '4', `b2://${B}/`, dst], {
      env: fx.env,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test('sync killed with SIGKILL at random moments never leaves a torn file; the re-run completes byte for byte', async () => {
  const dst = await freshDestination('kill-dst');
  for (let round = 0; round < 5; round++) {
    await killedSync(dst, randomInt(30, 600));
    await assertNeverTorn(dst);
  }
  expectCode(await fx.run(['sync', `b2://${B}/`, dst]), 0);
  await assertComplete(dst);
});

test('sync under a fault storm (503s, Retry-After, dropped and cut replies, corrupted bodies) ends byte for byte', async () => {
  const dst = await freshDestination('storm-dst');
  const c = fx.emu.controls;
  c.injectFault({ call: '*', kind: 'error', status: 503, code: 'service_unavailable', count: 3, after: 2 });
  c.injectFault({ call: 'b2_list_file_names', kind: 'error', status: 429, code: 'too_many_requests', retryAfter: 0 });
  c.injectFault({ call: 'b2_download_file_by_name', kind: 'cut', count: 2, after: 1 });
  c.injectFault({ call: 'b2_download_file_by_id', kind: 'cut', count: 2, after: 1 });
  c.injectFault({ call: 'b2_download_file_by_name', kind: 'corrupt', count: 1, after: 4 });
  c.injectFault({ call: 'b2_download_file_by_name', kind: 'drop', count: 1, after: 6 });
  try {
    const r = await fx.run(['sync', '--retries', '10', `b2://${B}/`, dst]);
    await assertNeverTorn(dst);
    // A corrupted body that the retries cannot outlast is an error for that file alone (exit 4), never a crash.
    assert.ok(r.code === 0 || r.code === 4, `exit ${r.code}: ${r.stderr}`);
    if (r.code !== 0) expectCode(await fx.run(['sync', `b2://${B}/`, dst]), 0);
  } finally {
    c.clearFaults();
  }
  await assertComplete(dst);
  const again = await fx.json(['sync', '--json', `b2://${B}/`, dst]);
  const moved = again.records.filter((x) => x.type === 'done');
  assert.equal(moved.length, 0, 'a fault-free re-sync moves nothing');
});
