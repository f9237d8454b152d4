/** Conformance: the file clock control (POST/GET /__b2sync__/clock, controls.advanceClock). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  call,
  makeBucket,
  session,
  start,
  upload,
  type Json,
  type RunningEmulator,
  type Session,
} from './spec-helpers.js';

const DAY = 86_400_000;

describe('spec: file clock', () => {
  let emu: RunningEmulator;
  let s: Session;
  let bucket: Json;

  async function control(method: string, body?: Json): Promise<{ status: number; body: Json }> {
    const r = await fetch(`${emu.url}/__b2sync__/clock`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Json };
  }

  before(async () => {
    emu = await start();
    s = await session(emu);
    bucket = await makeBucket(s);
  });
  after(() => emu.close());

  it('moving the clock back and forth stamps uploads and hide markers with the moved time', async () => {
    const back = await control('POST', { advanceDays: -3 });
    assert.equal(back.status, 200);
    assert.ok(Math.abs(back.body.now - (Date.now() - 3 * DAY)) < 60_000, 'three days back');
    const f = await upload(s, bucket.bucketId, 'clock/a.txt', 'a');
    assert.ok(f.uploadTimestamp <= back.body.now + 60_000 && f.uploadTimestamp >= back.body.now - 1000);
    const fwd = emu.controls.advanceClock(DAY);
    const h = await call(s, 'b2_hide_file', { bucketId: bucket.bucketId, fileName: 'clock/a.txt' });
    assert.equal(h.status, 200);
    assert.ok(h.body.uploadTimestamp >= fwd && h.body.uploadTimestamp - f.uploadTimestamp >= DAY);
    const now = await control('GET');
    assert.ok(now.body.now >= fwd && now.body.now < Date.now() - DAY, 'two days back now');
  });

  it('reset returns the clock to real time; bad values answer 400', async () => {
    await emu.controls.reset();
    assert.ok(Math.abs((await control('GET')).body.now - Date.now()) < 60_000);
    for (const bad of [{ advanceMs: 'soon' }, { advanceDays: null }, { advanceMs: [1] }]) {
      const r = await control('POST', bad as Json);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.code, 'bad_request');
    }
  });
});
