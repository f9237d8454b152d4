/**
 * The shared parts of a watch run: the fan-in of change sources, the remote poll and its cost, the
 * outage backoff (against a real emulator that goes away and comes back on the same port), the B2
 * call counts by class (over real HTTP), and the watch printer's three forms.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { B2Error, transportError } from '../../../src/core/errors.js';
import { callClass } from '../../../src/client/call-classes.js';
import { mergeSources } from '../../../src/sync/watch/merge-sources.js';
import { Outage } from '../../../src/sync/watch/outage.js';
import { openRemotePoll, pollCost } from '../../../src/sync/watch/remote-poll.js';
import type { ChangeBatch, ChangeSource, WatchEvent } from '../../../src/sync/watch/types.js';
import { utcStamp, watchLine, watchPrinter } from '../../../src/cli/output/watch-printer.js';
import { bucketName, makeClient, startTestEmulator } from '../../client/fixture.js';

/** A source a test pushes batches into; `end()` makes next() resolve undefined. */
class Queue implements ChangeSource {
  private items: (ChangeBatch | undefined)[] = [];
  private waiting?: (b: ChangeBatch | undefined) => void;
  closed = false;
  push(b: ChangeBatch | undefined): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(b);
    } else this.items.push(b);
  }
  next(): Promise<ChangeBatch | undefined> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((r) => (this.waiting = r));
  }
  close(): Promise<void> {
    this.closed = true;
    this.push(undefined);
    return Promise.resolve();
  }
}

const local = (path: string): ChangeBatch => ({ origin: 'local', changes: [{ path, kind: 'update' }] });

describe('mergeSources', () => {
  it('hands out batches of every source, ends when all ended, and closes them all', async () => {
    const a = new Queue();
    const b = new Queue();
    const m = mergeSources([a, b]);
    a.push(local('a1'));
    b.push(local('b1'));
    a.push(local('a2'));
    const got = [await m.next(), await m.next(), await m.next()].map(
      (x) => (x as { changes: { path: string }[] }).changes[0].path,
    );
    assert.deepEqual(got.sort(), ['a1', 'a2', 'b1']);
    a.push(undefined);
    const later = m.next();
    b.push(local('b2'));
    assert.equal(((await later) as { changes: { path: string }[] }).changes[0].path, 'b2');
    b.push(undefined);
    assert.equal(await m.next(), undefined);
    await m.close();
    assert.ok(a.closed && b.closed);
  });

  it('resolves undefined when the signal fires, and rethrows a failing source', async () => {
    const ac = new AbortController();
    const m = mergeSources([new Queue()], ac.signal);
    const waiting = m.next();
    ac.abort();
    assert.equal(await waiting, undefined);
    const bad: ChangeSource = { next: () => Promise.reject(new Error('boom')), close: () => Promise.resolve() };
    await assert.rejects(mergeSources([bad]).next(), /boom/);
  });
});

describe('remote poll', () => {
  it('emits remote-full every pollMs and stops on close', async () => {
    const p = openRemotePoll({ pollMs: 30 });
    assert.deepEqual(await p.next(), { origin: 'remote-full', reason: 'poll' });
    assert.deepEqual(await p.next(), { origin: 'remote-full', reason: 'poll' });
    const pending = p.next();
    await p.close();
    assert.equal(await pending, undefined);
  });

  it('pollCost: one call per 10,000 names (at least one), per day at the interval', () => {
    assert.deepEqual(pollCost(0, 60_000), { perPoll: 1, perDay: 1440 });
    assert.deepEqual(pollCost(10_000, 60_000), { perPoll: 1, perDay: 1440 });
    assert.deepEqual(pollCost(10_001, 60_000), { perPoll: 2, perDay: 2880 });
    assert.deepEqual(pollCost(250_000, 300_000), { perPoll: 25, perDay: 7200 });
  });
});

describe('Outage', () => {
  it('classifies network errors and 5xx as outages, other failures not', () => {
    const o = new Outage({ emit: () => undefined });
    assert.equal(o.isOutage(transportError('b2_list_file_names', new Error('connect ECONNREFUSED'))), true);
    assert.equal(o.isOutage(new B2Error({ status: 503, code: 'service_unavailable', message: 'busy' })), true);
    assert.equal(o.isOutage(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), true);
    assert.equal(
      o.isOutage(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })),
      true,
    );
    assert.equal(o.isOutage(new B2Error({ status: 400, code: 'bad_request', message: 'no' })), false);
    assert.equal(o.isOutage(new Error('plain')), false);
    for (let n = 0; n < 40; n++) assert.ok(o.delayMs(n) <= 60_000 && o.delayMs(n) >= 500);
  });

  it('retries through a stopped emulator, says so once, and ends when it answers again on the same port', async () => {
    const emu = await startTestEmulator();
    const port = Number(new URL(emu.url).port);
    const client = makeClient(emu, { retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 10 } });
    const events: WatchEvent[] = [];
    const outage = new Outage({ emit: (e) => events.push(e), baseMs: 20, capMs: 80 });
    try {
      await client.account();
      await emu.close();
      let attempts = 0;
      let restarted: Awaited<ReturnType<typeof startTestEmulator>> | undefined;
      const buckets = await outage.run(async () => {
        attempts++;
        if (attempts === 4)
          restarted = await startTestEmulator({ port, keyId: emu.keyId, applicationKey: emu.applicationKey });
        return client.listBuckets();
      });
      assert.ok(Array.isArray(buckets));
      assert.ok(attempts >= 4, `attempts ${attempts}`);
      assert.deepEqual(
        events.map((e) => `${e.type}:${(e as { action: string }).action}`),
        ['outage:start', 'outage:end'],
      );
      assert.equal(typeof (events[1] as { ms?: number }).ms, 'number');
      await restarted?.close();
    } finally {
      await client.close();
    }
  });

  it('rethrows a failure that is not an outage at once, and stops on abort', async () => {
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const o = new Outage({ emit: (e) => events.push(e), signal: ac.signal, baseMs: 10_000 });
    await assert.rejects(
      o.run(() => Promise.reject(new Error('nope'))),
      /nope/,
    );
    const failing = o.run(() => Promise.reject(transportError('x', new Error('down'))));
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(failing, { name: 'AbortError' });
    assert.deepEqual(
      events.map((e) => (e as { action: string }).action),
      ['start'],
    );
  });
});

describe('B2 calls by class', () => {
  it('maps calls to classes and counts what a client sent over HTTP', async () => {
    assert.equal(callClass('b2_upload_file'), 'A');
    assert.equal(callClass('b2_hide_file'), 'A');
    assert.equal(callClass('b2_download_file_by_name'), 'B');
    assert.equal(callClass('b2_get_file_info'), 'B');
    assert.equal(callClass('b2_list_file_names'), 'C');
    assert.equal(callClass('b2_copy_file'), 'C');
    const emu = await startTestEmulator();
    const client = makeClient(emu);
    try {
      const bucket = await client.createBucket({ bucketName: bucketName('calls'), bucketType: 'allPrivate' });
      const before = client.callCounts();
      await client.uploadFile({
        bucketId: bucket.bucketId,
        fileName: 'a.txt',
        body: Buffer.from('hello'),
        contentLength: 5,
      });
      for await (const _ of client.listFileNames(bucket.bucketId)) void _;
      const after = client.callCounts();
      assert.equal(after.A - before.A, 2, 'b2_get_upload_url + b2_upload_file');
      assert.equal(after.C - before.C, 1, 'b2_list_file_names');
      assert.equal(after.B, before.B);
    } finally {
      await client.close();
      await emu.close();
    }
  });
});

class Sink extends Writable {
  text = '';
  columns?: number;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe('watch printer', () => {
  it('prints one timestamped line per event, names escaped', () => {
    const out = new Sink();
    const p = watchPrinter(out, { json: false, tty: false });
    p.event({ type: 'change', action: 'upload', path: 'a/b\n.txt', bytes: 1229, ms: 35 });
    p.status({ watching: 3, pending: 0, calls: { A: 1, B: 0, C: 2 } });
    p.close();
    assert.match(out.text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ upload a\/b\\n\.txt 1\.20 KiB 35 ms\n$/);
    assert.match(utcStamp(Date.UTC(2026, 11, 7, 21, 0, 0, 123)), /^2026-12-07T21:00:00Z$/);
    assert.equal(
      watchLine({
        type: 'watch',
        action: 'start',
        root: './d',
        remote: 'b2://b/p',
        pollMs: 60_000,
        classCPerPoll: 1,
        classCPerDay: 1440,
      }),
      'watch start ./d -> b2://b/p, polling every 1m00s: 1 class C call(s) per poll, 1,440 per day',
    );
  });

  it('--json: one NDJSON object per event with type, action, path and time', () => {
    const out = new Sink();
    const p = watchPrinter(out, { json: true, tty: false });
    p.event({ type: 'change', action: 'delete', path: 'x\u0007' });
    const rec = JSON.parse(out.text.trim()) as Record<string, unknown>;
    assert.deepEqual(
      { ...rec, time: undefined },
      { type: 'change', action: 'delete', path: 'x\u0007', time: undefined },
    );
    assert.match(String(rec.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('TTY: a status line rewritten in place, cleared before each event line', () => {
    const out = new Sink();
    const p = watchPrinter(out, { json: false, tty: true });
    p.status({ watching: 10, pending: 2, lastChange: 'a.txt', calls: { A: 3, B: 1, C: 4 } });
    assert.equal(out.text, '\r\x1b[2Kwatching 10 files · last change a.txt · pending 2 · B2 calls A 3 B 1 C 4');
    out.text = '';
    p.event({ type: 'notice', message: 'hello' });
    assert.match(out.text, /^\r\x1b\[2K\S+Z notice hello\n\r\x1b\[2Kwatching 10 files/);
    out.text = '';
    p.close();
    assert.equal(out.text, '\r\x1b[2K');
  });
});
