/**
 * End-to-end: `bucket notify set|get|clear` of the built bin against the emulator: a generated secret is
 * printed once (and works: the emulator signs with it), masked on get unless --show-secret, never in any
 * other output; rules with other names survive; bad input is a one-line usage error (exit 2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';
import { startSink, type Sink } from '../emulator/webhook-sink.js';

let fx: Fixture;
let sink: Sink;
const B = 'cli-notify-bucket';

before(async () => {
  fx = await makeFixture();
  sink = await startSink();
  expectCode(await fx.run(['bucket', 'create', B]), 0);
});
after(async () => {
  await sink.close();
  await fx.close();
});

describe('bucket notify', () => {
  let secret = '';

  test('set creates the rule and prints a new 32-character secret once', async () => {
    const r = await fx.run(['bucket', 'notify', 'set', `b2://${B}`, '--url', sink.url, '--prefix', 'docs/']);
    expectCode(r, 0);
    assert.match(
      r.stdout,
      /created rule b2sync on cli-notify-bucket: b2:ObjectCreated:\*, b2:ObjectDeleted:\*, b2:HideMarkerCreated:\* for names under "docs\/"/,
    );
    const m = /signing secret \(shown once[^)]*\): ([A-Za-z0-9]{32})$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    secret = m[1];
    assert.equal(r.stdout.split(secret).length, 2, 'the secret appears exactly once');
    assert.ok(!r.stderr.includes(secret));
    fx.secrets.push(secret); // from here on, no output of any command may carry it
  });

  test('the emulator signs webhooks with that secret', async () => {
    expectCode(await fx.run(['put', '-', `b2://${B}/docs/a.txt`], { input: 'hi' }), 0);
    const [got] = await sink.waitFor(1);
    const expected = 'v1=' + createHmac('sha256', secret).update(got.raw).digest('hex');
    assert.equal(got.headers['x-bz-event-notification-signature'], expected);
    assert.equal(got.body.events[0].objectName, 'docs/a.txt');
  });

  test('get masks the secret (human and --json); --show-secret prints it', async () => {
    const h = await fx.run(['bucket', 'notify', 'get', B]);
    expectCode(h, 0);
    assert.match(h.stdout, /^b2sync {2}enabled {2}.*secret: \*{8}$/m);
    const j = await fx.json(['bucket', 'notify', 'get', `b2://${B}`]);
    assert.equal(j.records.length, 1);
    assert.equal(j.records[0].secret, '********');
    assert.equal(j.records[0].url, sink.url);
    assert.deepEqual(j.records[0].eventTypes, ['b2:ObjectCreated:*', 'b2:ObjectDeleted:*', 'b2:HideMarkerCreated:*']);
    fx.secrets.pop();
    const shown = await fx.json(['bucket', 'notify', 'get', B, '--show-secret']);
    assert.equal(shown.records[0].secret, secret);
    fx.secrets.push(secret);
  });

  test('set with --secret-file and another --name adds a rule without printing the secret; same name replaces', async () => {
    const file = join(fx.dir, 'secret.txt');
    const mine = 'S'.repeat(16) + '0123456789abcdef';
    await writeFile(file, mine + '\n');
    fx.secrets.push(mine);
    const r = await fx.json([
      'bucket',
      'notify',
      'set',
      B,
      '--url',
      sink.url,
      '--prefix',
      'logs/',
      '--events',
      'created',
      '--name',
      'logs-rule',
      '--secret-file',
      file,
    ]);
    expectCode({ code: r.code, stderr: r.stderr }, 0);
    assert.equal(r.records[0].action, 'create');
    assert.equal(r.records[0].secret, undefined);
    const again = await fx.json([
      'bucket',
      'notify',
      'set',
      B,
      '--url',
      sink.url,
      '--prefix',
      'logs/',
      '--events',
      'b2:ObjectCreated:Upload',
      '--name',
      'logs-rule',
      '--secret-file',
      file,
    ]);
    assert.equal(again.records[0].action, 'replace');
    const names = (await fx.json(['bucket', 'notify', 'get', B])).records.map((x) => [x.name, x.eventTypes]);
    assert.deepEqual(names, [
      ['b2sync', ['b2:ObjectCreated:*', 'b2:ObjectDeleted:*', 'b2:HideMarkerCreated:*']],
      ['logs-rule', ['b2:ObjectCreated:Upload']],
    ]);
  });

  test('clear removes the named rule; --all removes the rest; clearing again is a no-op', async () => {
    const c = await fx.json(['bucket', 'notify', 'clear', B]);
    assert.deepEqual(c.records[0].removed, ['b2sync']);
    assert.deepEqual(
      (await fx.json(['bucket', 'notify', 'get', B])).records.map((x) => x.name),
      ['logs-rule'],
    );
    const all = await fx.json(['bucket', 'notify', 'clear', B, '--all']);
    assert.deepEqual(all.records[0].removed, ['logs-rule']);
    const none = await fx.run(['bucket', 'notify', 'clear', B]);
    expectCode(none, 0);
    assert.match(none.stdout, /no rule b2sync on cli-notify-bucket: nothing to clear/);
    assert.match((await fx.run(['bucket', 'notify', 'get', B])).stdout, /no event notification rules/);
  });

  test('bad input: one-line usage errors, exit 2; B2 refusals exit 1 with its message', async () => {
    const ev = await fx.run(['bucket', 'notify', 'set', B, '--url', sink.url, '--events', 'teleported']);
    expectCode(ev, 2);
    assert.match(ev.stderr, /unknown event type "teleported"/);
    assert.equal(ev.stderr.trim().split('\n').length, 1);
    const url = await fx.run(['bucket', 'notify', 'set', B, '--url', 'not a url']);
    expectCode(url, 2);
    const bad = join(fx.dir, 'bad-secret.txt');
    await writeFile(bad, 'tooshort-but-secret');
    fx.secrets.push('tooshort-but-secret');
    const sf = await fx.run(['bucket', 'notify', 'set', B, '--url', sink.url, '--secret-file', bad]);
    expectCode(sf, 2);
    assert.match(sf.stderr, /32 letters or digits/);
    const name = await fx.run(['bucket', 'notify', 'set', B, '--url', sink.url, '--name', 'x']);
    expectCode(name, 1);
    assert.match(name.stderr, /6 to 63/);
    const noUrl = await fx.run(['bucket', 'notify', 'set', B]);
    expectCode(noUrl, 2);
  });
});
