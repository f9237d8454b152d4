/**
 * runSyncWatch against the emulator over HTTP, fed by a scripted change source (the real local
 * watcher is exercised by test/cli/sync-watch.test.ts): the first full sync, created / modified /
 * deleted files pushed through restricted passes, a burst of 1,000 files, a file that changes while
 * it is uploaded (requeued and uploaded again), B2 changes pulled by polling and by signed webhooks
 * (a bad signature refused), an outage (the emulator stopped and restarted on the same port with a
 * disk store) caught up, --dry-run, and a stop on the signal.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { B2Client } from '../../../src/client/b2-client.js';
import type { RunningEmulator } from '../../../src/emulator/api.js';
import { runSyncWatch, type SyncWatchHooks } from '../../../src/sync/watch/sync-watch.js';
import { WATCH_DEFAULTS, type WatchEvent, type WatchOptions } from '../../../src/sync/watch/types.js';
import type { SyncEvent, SyncOptions } from '../../../src/sync/types.js';
import { SCRATCH, makeClient, makeTree, newBucket, startTestEmulator, tempDir } from '../fixture.js';
import { ScriptedSource, until } from './scripted-source.js';

interface Running {
  signal: AbortSignal;
  events: WatchEvent[];
  syncEvents: SyncEvent[];
  done: Promise<void>;
  stop(): Promise<void>;
  source: ScriptedSource;
}

function start(
  src: Parameters<typeof runSyncWatch>[0],
  dst: Parameters<typeof runSyncWatch>[1],
  o: { sync?: Partial<SyncOptions>; watch?: Partial<WatchOptions>; hooks?: Partial<SyncWatchHooks> } = {},
): Running {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  const syncEvents: SyncEvent[] = [];
  const source = new ScriptedSource();
  const done = runSyncWatch(
    src,
    dst,
    { mode: 'sync', signal: ac.signal, onEvent: (e) => syncEvents.push(e), ...o.sync },
    { ...WATCH_DEFAULTS, settleMs: 100, pollMs: 60_000, ...o.watch },
    { emit: (e) => events.push(e), sources: [source], outageBaseMs: 50, outageCapMs: 200, ...o.hooks },
  );
  return {
    signal: ac.signal,
    events,
    syncEvents,
    done,
    source,
    stop: async () => {
      ac.abort(new Error('terminated'));
      await done;
    },
  };
}

const started = (r: Running) => r.events.some((e) => e.type === 'watch' && e.action === 'start');
const changes = (r: Running, action: string, path?: string) =>
  r.events.filter((e) => e.type === 'change' && e.action === action && (path === undefined || e.path === path));

async function names(client: B2Client, bucketId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const f of client.listFileNames(bucketId)) out.set(f.fileName, f.fileId!);
  return out;
}

async function content(client: B2Client, bucketName: string, name: string): Promise<string> {
  const r = await client.downloadByName(bucketName, name);
  const parts: Buffer[] = [];
  for await (const c of r.body) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe('sync --watch engine: local → B2', () => {
  it('syncs fully first, then pushes created, modified and deleted files as batches name them', async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wpush');
      const dir = await makeTree({ 'a.txt': 'alpha', 'd/b.txt': 'bravo', 'd/c.txt': 'charlie' });
      const r = start({ kind: 'local', path: dir }, { kind: 'b2', client, bucketName: b.bucketName, prefix: 'p' });
      await until('watch start', () => started(r));
      assert.equal(r.syncEvents.filter((e) => e.type === 'done').length, 3, 'the first full sync uploaded all');
      assert.deepEqual([...(await names(client, b.bucketId)).keys()].sort(), ['p/a.txt', 'p/d/b.txt', 'p/d/c.txt']);

      await writeFile(join(dir, 'new.txt'), 'new file');
      await writeFile(join(dir, 'a.txt'), 'alpha, longer now');
      r.source.local({ path: 'new.txt', kind: 'create' }, { path: 'a.txt', kind: 'update' });
      await until('two uploads', () => changes(r, 'upload').length === 2);
      assert.equal(await content(client, b.bucketName, 'p/a.txt'), 'alpha, longer now');
      assert.equal(await content(client, b.bucketName, 'p/new.txt'), 'new file');
      const up = changes(r, 'upload', 'new.txt')[0] as { bytes?: number; ms?: number };
      assert.equal(up.bytes, 8);
      assert.equal(typeof up.ms, 'number');

      await unlink(join(dir, 'd/c.txt'));
      r.source.local({ path: 'd/c.txt', kind: 'delete' });
      await until('a hide', () => changes(r, 'hide', 'd/c.txt').length === 1);
      assert.ok(!(await names(client, b.bucketId)).has('p/d/c.txt'));
      assert.equal(
        r.events.filter((e) => e.type === 'error').length,
        0,
        `no errors (one deletion of four is no safety stop): ${JSON.stringify(r.events)}`,
      );

      await rm(join(dir, 'd'), { recursive: true });
      r.source.local({ path: 'd', kind: 'unknown' });
      await until('the folder gone', () => changes(r, 'hide', 'd/b.txt').length === 1);
      await r.stop();
      assert.deepEqual(r.events.at(-1), { type: 'watch', action: 'stop', reason: 'terminated' });
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it("leaves no listener behind on the run's signal, pass after pass", async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wleak');
      const dir = await makeTree({ 'a.txt': 'a', 'b.txt': 'b' });
      const r = start({ kind: 'local', path: dir }, { kind: 'b2', client, bucketName: b.bucketName, prefix: '' });
      await until('watch start', () => started(r));
      const counts: number[] = [];
      for (let i = 0; i < 25; i++) {
        await writeFile(join(dir, 'a.txt'), `version ${i}`);
        r.source.local('a.txt');
        await until(`upload ${i + 1}`, () => changes(r, 'upload', 'a.txt').length === i + 1);
        counts.push(getEventListeners(r.signal, 'abort').length);
      }
      assert.ok(Math.max(...counts) <= 3, `listeners on the run's signal stay few: ${counts.join(',')}`);
      assert.equal(counts.at(-1), counts[0], `flat: ${counts.join(',')}`);
      await r.stop();
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it('pushes a burst of 1,000 new files named in one batch, each uploaded once', async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wburst');
      const dir = await tempDir();
      const r = start({ kind: 'local', path: dir }, { kind: 'b2', client, bucketName: b.bucketName, prefix: '' });
      await until('watch start', () => started(r));
      const paths: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const p = `burst/${String(i).padStart(4, '0')}.txt`;
        paths.push(p);
      }
      await makeTree(Object.fromEntries(paths.map((p) => [p, `file ${p}`])), dir);
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        r.source.local(...paths.map((path) => ({ path, kind: 'create' as const })));
        await until('1,000 uploads', () => changes(r, 'upload').length === 1000, 60_000);
      } finally {
        process.off('warning', onWarning);
      }
      assert.equal((await names(client, b.bucketId)).size, 1000);
      assert.equal(emu.controls.counters().calls.b2_upload_file, 1000);
      // 16 uploads in flight hold one abort listener each, on the pass's own signal: no leak warning.
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
        [],
      );
      await r.stop();
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it('uploads a file again when it changed while it was being uploaded', async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wtorn');
      const dir = await makeTree({ 'grow.log': 'first part\n' });
      let appended = false;
      const r = start(
        { kind: 'local', path: dir },
        { kind: 'b2', client, bucketName: b.bucketName, prefix: '' },
        {
          sync: {
            onEvent: (e) => {
              // The file grows just as its upload starts (after the watcher's stat-before).
              if (e.type === 'start' && !appended) {
                appended = true;
                appendFileSync(join(dir, 'grow.log'), 'second part\n');
              }
            },
          },
        },
      );
      await until('the torn notice', () =>
        r.events.some((e) => e.type === 'notice' && /changed while it was uploaded/.test(e.message)),
      );
      await until(
        'the whole file on B2',
        async () => (await content(client, b.bucketName, 'grow.log').catch(() => '')) === 'first part\nsecond part\n',
      );
      await r.stop();
      // The torn attempt was refused or superseded: the latest version is the whole file.
      const versions = [];
      for await (const v of client.listFileVersions(b.bucketId)) versions.push(v);
      assert.ok(versions.length >= 1 && versions.length <= 2, `one or two versions: ${versions.length}`);
      assert.equal(versions[0].contentLength, 'first part\nsecond part\n'.length, 'the latest is whole');
      assert.equal(await content(client, b.bucketName, 'grow.log'), 'first part\nsecond part\n');
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it('--dry-run reports what a change would do and changes nothing', async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wdry');
      const dir = await makeTree({ 'a.txt': 'alpha' });
      const r = start(
        { kind: 'local', path: dir },
        { kind: 'b2', client, bucketName: b.bucketName, prefix: '' },
        { sync: { dryRun: true } },
      );
      await until('watch start', () => started(r));
      await writeFile(join(dir, 'b.txt'), 'bravo');
      r.source.local('b.txt');
      await until('the dry-run line', () =>
        r.events.some((e) => e.type === 'notice' && e.message === 'dry run: would upload b.txt (new)'),
      );
      assert.equal((await names(client, b.bucketId)).size, 0);
      assert.equal(emu.controls.counters().calls.b2_upload_file ?? 0, 0);
      await r.stop();
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it('keeps the changes through an outage and catches up when the emulator is back on the same port', async () => {
    const data = await mkdtemp(join(SCRATCH, 'b2sync-emu-'));
    const keys = { keyId: 'outagekeyid0001', applicationKey: 'K' + randomBytes(15).toString('hex') };
    let emu: RunningEmulator = await startTestEmulator({ dataDir: data, ...keys });
    const port = emu.port;
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wout');
      const dir = await makeTree({ 'a.txt': 'alpha' });
      const r = start({ kind: 'local', path: dir }, { kind: 'b2', client, bucketName: b.bucketName, prefix: '' });
      await until('watch start', () => started(r));
      await emu.close();
      await writeFile(join(dir, 'during.txt'), 'written during the outage');
      r.source.local('during.txt');
      await until('the outage notice', () => r.events.some((e) => e.type === 'outage' && e.action === 'start'));
      await writeFile(join(dir, 'later.txt'), 'also during the outage');
      r.source.local('later.txt');
      emu = await startTestEmulator({ dataDir: data, port, ...keys });
      await until('the outage end', () => r.events.some((e) => e.type === 'outage' && e.action === 'end'));
      await until('both uploaded', async () => {
        const n = await names(client, b.bucketId);
        return n.has('during.txt') && n.has('later.txt');
      });
      assert.equal(
        r.events.filter((e) => e.type === 'outage' && e.action === 'start').length,
        1,
        'one notice per outage',
      );
      await r.stop();
    } finally {
      await client.close();
      await emu.close();
      await rm(data, { recursive: true, force: true });
    }
  });
});

describe('sync --watch engine: B2 → local', () => {
  it('pulls B2 changes at each --poll', async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const b = await newBucket(client, 'wpoll');
      const dir = await tempDir();
      // A second file, so that deleting the first is no "source is empty" safety stop.
      await client.uploadFile({
        bucketId: b.bucketId,
        fileName: 'src/keep.txt',
        body: Buffer.from('keep'),
        contentLength: 4,
      });
      const r = start(
        { kind: 'b2', client, bucketName: b.bucketName, prefix: 'src' },
        { kind: 'local', path: dir },
        { watch: { pollMs: 150 } },
      );
      await until('watch start', () => started(r));
      const start0 = r.events.find((e) => e.type === 'watch' && e.action === 'start') as {
        classCPerPoll: number;
        classCPerDay: number;
      };
      assert.deepEqual([start0.classCPerPoll, start0.classCPerDay], [1, 576_000]);
      await client.uploadFile({
        bucketId: b.bucketId,
        fileName: 'src/remote.txt',
        body: Buffer.from('from B2'),
        contentLength: 7,
      });
      await until('the download', () => changes(r, 'download', 'remote.txt').length === 1);
      assert.equal(await readFile(join(dir, 'remote.txt'), 'utf8'), 'from B2');
      await client.hideFile(b.bucketId, 'src/remote.txt');
      await until('the local delete', () => changes(r, 'delete', 'remote.txt').length === 1);
      await r.stop();
      assert.deepEqual(await readdir(dir), ['keep.txt'], 'no temp files left');
    } finally {
      await client.close();
      await emu.close();
    }
  });

  it('pulls a change named by a signed webhook at once, and refuses a bad signature', async () => {
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    const secret = randomBytes(16).toString('hex');
    try {
      const b = await newBucket(client, 'whook');
      const dir = await tempDir();
      const r = start(
        { kind: 'b2', client, bucketName: b.bucketName, prefix: 'src' },
        { kind: 'local', path: dir },
        { watch: { pollMs: 3_600_000, eventsListen: { host: '127.0.0.1', port: 0 }, signingSecrets: [secret] } },
      );
      await until('watch start', () => started(r));
      const line = r.events.find(
        (e) => e.type === 'notice' && e.message.startsWith('listening for B2 event notifications'),
      );
      const url = /http:\/\/\S+/.exec((line as { message: string }).message)![0];
      await client.setBucketNotificationRules(b.bucketId, [
        {
          name: 'watch-rule',
          eventTypes: ['b2:ObjectCreated:*', 'b2:ObjectDeleted:*', 'b2:HideMarkerCreated:*'],
          objectNamePrefix: 'src/',
          isEnabled: true,
          targetConfiguration: { targetType: 'webhook', url: `${url}/b2`, hmacSha256SigningSecret: secret },
        },
      ]);
      await client.uploadFile({
        bucketId: b.bucketId,
        fileName: 'src/pushed.txt',
        body: Buffer.from('pushed'),
        contentLength: 6,
      });
      await until('the download', () => changes(r, 'download', 'pushed.txt').length === 1);
      assert.equal(await readFile(join(dir, 'pushed.txt'), 'utf8'), 'pushed');
      const res = await fetch(`${url}/b2`, {
        method: 'POST',
        headers: { 'x-bz-event-notification-signature': 'v1=' + '0'.repeat(64), 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [{ eventId: 'x', eventType: 'b2:ObjectCreated:Upload', objectName: 'src/evil.txt' }],
        }),
      });
      assert.equal(res.status, 401);
      await until('the refusal logged', () =>
        r.events.some((e) => e.type === 'notice' && /signature/i.test(e.message)),
      );
      await r.stop();
    } finally {
      await client.close();
      await emu.close();
    }
  });
});
