/**
 * Torture: load. Many concurrent clients against one emulator process for a fixed time: a quarter are
 * b2sync processes (put, get, ls, cp, sync), the rest raw API clients over fetch (b2_upload_file,
 * b2_download_file_by_name, b2_copy_file, b2_list_file_names). Each checks what it reads by SHA-1
 * against what it wrote; at the end every file written is listed and downloaded again and hashed.
 * No fault is injected, so any 5xx is a failure; the emulator's RSS, sampled every second, stays flat.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseEnv, runBin } from '../cli/harness.js';
import { report, size } from './report.js';
import { startEmulatorProcess, type EmulatorProcess } from './lib-b/emulator-process.js';
import { RawB2, type RawStats } from './lib-b/raw-b2.js';
import { sha1 } from './lib-b/local.js';

const CLIENTS = size(64, 12);
const SECONDS = size(60, 8);
const B = 'torture-load';
const MiB = 1024 * 1024;

let emu: EmulatorProcess;
let dir: string;
let env: NodeJS.ProcessEnv;
let bucketId: string;
const stats: RawStats = { calls: 0, status5xx: [] };
/** Every file name written (by any client) and the SHA-1 of its bytes. */
const written = new Map<string, string>();
const failures: string[] = [];
const ops: Record<string, number> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'b2sync-load-'));
  emu = await startEmulatorProcess(['--data', join(dir, 'emu-data')]);
  env = {
    ...baseEnv(join(dir, 'home')),
    B2SYNC_CONFIG_DIR: join(dir, 'config'),
    B2SYNC_ENDPOINT: emu.endpoint,
    B2_APPLICATION_KEY_ID: emu.keyId,
    B2_APPLICATION_KEY: emu.applicationKey,
  };
  const raw = new RawB2(emu.endpoint, stats);
  await raw.authorize(emu.keyId, emu.applicationKey);
  bucketId = (
    await raw.api<{ bucketId: string }>('b2_create_bucket', {
      accountId: raw.accountId,
      bucketName: B,
      bucketType: 'allPrivate',
    })
  ).bucketId;
});
after(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

function count(op: string): void {
  ops[op] = (ops[op] ?? 0) + 1;
}

function fail(who: string, what: string): void {
  failures.push(`${who}: ${what}`);
}

/** 256 B .. 32 KiB of random bytes. */
function someBytes(): Buffer {
  return randomBytes(256 + Math.floor(Math.random() * 32 * 1024));
}

async function rawClient(c: number, deadline: number): Promise<void> {
  const who = `raw-${c}`;
  const raw = new RawB2(emu.endpoint, stats);
  await raw.authorize(emu.keyId, emu.applicationKey);
  const mine = new Map<string, string>();
  for (let n = 0; Date.now() < deadline; n++) {
    try {
      const name = `raw/${c}/${n}.bin`;
      const data = someBytes();
      const fileId = await raw.uploadFile(bucketId, name, data);
      written.set(name, sha1(data));
      mine.set(name, sha1(data));
      count('raw upload');
      if (sha1(await raw.download(B, name)) !== sha1(data)) fail(who, `${name} read back wrong`);
      count('raw download');
      if (n % 4 === 3) {
        const copy = `rawcp/${c}/${n}.bin`;
        await raw.api('b2_copy_file', { sourceFileId: fileId, fileName: copy });
        written.set(copy, sha1(data));
        count('raw copy');
        if (sha1(await raw.download(B, copy)) !== sha1(data)) fail(who, `${copy} (a copy) read back wrong`);
      }
      if (n % 5 === 4) {
        const listed = await raw.listAll(bucketId, `raw/${c}/`);
        count('raw list');
        for (const [k, v] of mine) if (listed.get(k) !== v) fail(who, `${k} missing or wrong in the listing`);
      }
      await new Promise((r) => setTimeout(r, 40)); // paced: the point is concurrency, not filling the disk
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      fail(who, `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
    }
  }
}

async function cliClient(c: number, deadline: number): Promise<void> {
  const who = `cli-${c}`;
  const local = join(dir, 'cli', String(c));
  await mkdir(join(local, 'tree'), { recursive: true });
  const run = async (op: string, args: string[]) => {
    const r = await runBin(args, env);
    count(`b2sync ${op}`);
    if (r.code !== 0) fail(who, `${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
    return r;
  };
  for (let n = 0; Date.now() < deadline; n++) {
    const name = `cli/${c}/${n}.bin`;
    const data = someBytes();
    const file = join(local, 'tree', `${n}.bin`);
    await writeFile(file, data);
    if ((await run('put', ['put', file, `b2://${B}/${name}`])).code === 0) written.set(name, sha1(data));
    const back = join(local, 'back.bin');
    if ((await run('get', ['get', `b2://${B}/${name}`, back])).code === 0 && sha1(await readFile(back)) !== sha1(data))
      fail(who, `${name} read back wrong`);
    if (n % 3 === 1) {
      const ls = await run('ls', ['ls', `b2://${B}/cli/${c}/`]);
      if (ls.stdout.split('\n').filter(Boolean).length !== n + 1)
        fail(who, `ls shows not ${n + 1} files:\n${ls.stdout}`);
    }
    if (n % 4 === 2) {
      const copy = `cp/${c}/${n}.bin`;
      if ((await run('cp', ['cp', `b2://${B}/${name}`, `b2://${B}/${copy}`])).code === 0) written.set(copy, sha1(data));
    }
    if (n % 5 === 3) {
      const r = await run('sync', ['sync', join(local, 'tree'), `b2://${B}/sync/${c}/`]);
      if (r.code === 0)
        for (let k = 0; k <= n; k++) written.set(`sync/${c}/${k}.bin`, written.get(`cli/${c}/${k}.bin`)!);
    }
  }
}

/** Download every file written and hash it; every one must be there, with its bytes. */
async function checkAll(): Promise<{ files: number; bytes: number }> {
  const raw = new RawB2(emu.endpoint, stats);
  await raw.authorize(emu.keyId, emu.applicationKey);
  const listed = await raw.listAll(bucketId, '');
  const names = [...written.keys()];
  let bytes = 0;
  let i = 0;
  const worker = async () => {
    for (let name = names[i++]; name !== undefined; name = names[i++]) {
      if (listed.get(name) !== written.get(name)) fail('check', `${name} missing or wrong in the final listing`);
      const data = await raw.download(B, name);
      bytes += data.length;
      if (sha1(data) !== written.get(name)) fail('check', `${name} lost or corrupted`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { files: names.length, bytes };
}

test(`load: ${CLIENTS} clients for ${SECONDS} s against one emulator process`, { timeout: 600_000 }, async () => {
  const rss: number[] = [await emu.rss()];
  const sampler = setInterval(() => void emu.rss().then((v) => rss.push(v)), 1000);
  const before = await emu.counters();
  const t0 = Date.now();
  const deadline = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, (_, c) => (c % 4 === 0 ? cliClient(c, deadline) : rawClient(c, deadline))),
  );
  const wall = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const afterCounters = await emu.counters();
  const calls = Object.entries(afterCounters.calls).reduce((n, [k, v]) => n + v - (before.calls[k] ?? 0), 0);
  const { files, bytes } = await checkAll();
  const third = Math.max(1, Math.floor(rss.length / 3));
  const firstMax = Math.max(...rss.slice(0, third));
  const lastMax = Math.max(...rss.slice(-third));
  report('load', {
    clients: CLIENTS,
    seconds: SECONDS,
    files,
    bytes,
    callsPerSecond: Math.round(calls / wall),
    calls,
    ops,
    status5xx: stats.status5xx.length,
    failures: failures.length,
    rssMiB: rss.map((v) => Math.round(v / MiB)).join(' '),
    rssFirstThirdMaxMiB: Math.round(firstMax / MiB),
    rssLastThirdMaxMiB: Math.round(lastMax / MiB),
  });
  assert.deepEqual(stats.status5xx, [], 'no 5xx: none was injected');
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  assert.ok(files > CLIENTS, `files were written (${files})`);
  assert.ok(
    lastMax <= firstMax + 64 * MiB,
    `emulator RSS grew: ${Math.round(firstMax / MiB)} -> ${Math.round(lastMax / MiB)} MiB`,
  );
});
