/** Shared set-up for sync scenario tests: an in-process emulator, clients, buckets, local trees. */
import { after, before } from 'node:test';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { B2Client } from '../../src/client/b2-client.js';
import type { B2Api } from '../../src/client/api.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/api.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { SyncEndpoint, SyncEvent } from '../../src/sync/index.js';

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, minPartSize: 1000, recommendedPartSize: 2000, ...opts });
}

export function makeClient(emu: RunningEmulator): B2Client {
  return new B2Client({
    applicationKeyId: emu.keyId,
    applicationKey: emu.applicationKey,
    endpoint: emu.url,
    retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20 },
  });
}

let seq = 0;
export function bucketName(tag: string): string {
  return `s-${tag}-${process.pid}-${++seq}`.slice(0, 50);
}

export async function newBucket(client: B2Api, tag: string): Promise<{ bucketName: string; bucketId: string }> {
  const b = await client.createBucket({ bucketName: bucketName(tag), bucketType: 'allPrivate' });
  return { bucketName: b.bucketName, bucketId: b.bucketId };
}

/**
 * One emulator and client for a test file: started before its tests, closed after them; `set`
 * receives them (the file keeps its own `emu` and `client` variables).
 */
export function useEmulator(set: (emu: RunningEmulator, client: B2Client) => void, opts: EmulatorOptions = {}): void {
  let emu: RunningEmulator | undefined;
  let client: B2Client | undefined;
  before(async () => {
    emu = await startTestEmulator(opts);
    client = makeClient(emu);
    set(emu, client);
  });
  after(async () => {
    await client?.close();
    await emu?.close();
  });
}

export const T0 = 1_700_000_000_000;

/** Scratch space: tmpfs (/dev/shm) when there is one, since creating many files on disk is slow here. */
export const SCRATCH = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Write files ({path: content}); each gets mtime T0 + index seconds unless given. */
export async function makeTree(
  files: Record<string, string | { content: string; mtimeMs?: number }>,
  root?: string,
): Promise<string> {
  const dir = root ?? (await mkdtemp(join(SCRATCH, 'b2sync-sync-')));
  let i = 0;
  for (const [p, v] of Object.entries(files)) {
    const content = typeof v === 'string' ? v : v.content;
    const mtime = typeof v === 'string' ? T0 + 1000 * i : (v.mtimeMs ?? T0 + 1000 * i);
    const abs = join(dir, ...p.split('/'));
    await mkdir(join(abs, '..'), { recursive: true });
    await writeFile(abs, content);
    await utimes(abs, new Date(mtime), new Date(mtime));
    i++;
  }
  return dir;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(SCRATCH, 'b2sync-sync-'));
}

/** path → content of every file under root ('/'-separated, names as on disk). */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string, rel: string) {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const p = rel + d.name;
      if (d.isDirectory()) await walk(join(dir, d.name), p + '/');
      else out[p] = await readFile(join(dir, d.name), 'utf8');
    }
  }
  await walk(root, '');
  return out;
}

/** name → content of every visible file in a bucket (under prefix, prefix removed). */
export async function readBucket(client: B2Api, bucketId: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const f of client.listFileNames(bucketId, { prefix })) {
    const r = await client.downloadById(f.fileId!);
    const chunks: Buffer[] = [];
    for await (const c of r.body) chunks.push(c as Buffer);
    out[f.fileName.slice(prefix.length)] = Buffer.concat(chunks).toString('utf8');
  }
  return out;
}

export function local(path: string): SyncEndpoint {
  return { kind: 'local', path };
}
export function remote(client: B2Api, bucketName: string, prefix = ''): SyncEndpoint {
  return { kind: 'b2', client, bucketName, prefix };
}

/** Collect events, and plan actions as "action path (reason)" strings. */
export function recorder() {
  const events: SyncEvent[] = [];
  return {
    events,
    onEvent: (e: SyncEvent) => events.push(e),
    plan: () =>
      events
        .filter((e) => e.type === 'plan')
        .map((e) => (e.type === 'plan' ? `${e.action.action} ${e.action.path} (${e.action.reason})` : '')),
    changes: () =>
      events
        .filter((e) => e.type === 'plan' && e.action.action !== 'skip')
        .map((e) => (e.type === 'plan' ? `${e.action.action} ${e.action.path} (${e.action.reason})` : '')),
  };
}

export async function cleanup(...dirs: string[]): Promise<void> {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}

export function calls(emu: RunningEmulator, name: string): number {
  return emu.controls.counters().calls[name] ?? 0;
}
