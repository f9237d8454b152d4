/** End-to-end: bad input and failures give one clear line and the documented exit code. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { B2Client } from '../../src/client/b2-client.js';
import { expectCode, makeFixture, runInProcess, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-errors-bucket';

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  await writeFile(join(fx.dir, 'small.txt'), 'small');
});
after(() => fx.close());

/** One line on stderr, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.ok(!/\n\s+at /.test(stderr));
  return lines[0];
}

test('a missing profile exits 3 naming how to add it', async () => {
  const r = await fx.run(['ls', 'nosuch:bucket-x/y']);
  expectCode(r, 3);
  assert.match(oneLine(r.stderr), /profile "nosuch" not found: add it with `b2sync config add nosuch --key-id ID`/);
  expectCode(await fx.run(['--profile', 'nosuch', 'lsd']), 3);
});

test('a bad remote path or invalid bucket name exits 2', async () => {
  const r = await fx.run(['ls', 'b2://no_underscores/x']);
  expectCode(r, 2);
  assert.match(
    oneLine(r.stderr),
    /bad remote path "b2:\/\/no_underscores\/x": Bucket names may contain only letters, digits and "-"/,
  );
  expectCode(await fx.run(['ls', './local-dir']), 2);
  expectCode(await fx.run(['mkdir', 'b2://b2-reserved-name']), 2);
  const short = await fx.run(['bucket', 'create', 'abc']);
  expectCode(short, 2);
  assert.match(short.stderr, /6 to 63 characters/);
});

test('an invalid file name exits 2 naming the problem', async () => {
  const r = await fx.run(['put', '-', `b2://${B}/bad\u0001name.txt`], { input: 'x' });
  expectCode(r, 2);
  assert.match(oneLine(r.stderr), /control characters/);
});

test('a bucket that does not exist exits 3; a key scoped to another bucket says which buckets it may use', async () => {
  const r = await fx.run(['ls', 'b2://no-such-bucket-here']);
  expectCode(r, 3);
  assert.match(oneLine(r.stderr), /bucket "no-such-bucket-here" not found/);
  const client = new B2Client({
    applicationKeyId: fx.emu.keyId,
    applicationKey: fx.emu.applicationKey,
    endpoint: fx.emu.url,
  });
  try {
    const other = await client.createBucket({ bucketName: 'cli-other-bucket', bucketType: 'allPrivate' });
    const key = await client.createKey({
      keyName: 'scoped',
      capabilities: ['listBuckets', 'listFiles', 'readFiles'],
      bucketIds: [other.bucketId],
    });
    fx.secrets.push(key.applicationKey);
    const s = await fx.run(['ls', `b2://${B}`], {
      env: { B2_APPLICATION_KEY_ID: key.applicationKeyId, B2_APPLICATION_KEY: key.applicationKey },
    });
    expectCode(s, 3);
    assert.match(
      oneLine(s.stderr),
      /bucket "cli-errors-bucket" not found; this key may access only "cli-other-bucket"/,
    );
  } finally {
    await client.close();
  }
});

test('empty key id or key, and no credentials at all, exit 2 saying what to set', async () => {
  const a = await fx.run(['lsd'], { env: { B2_APPLICATION_KEY_ID: '' } });
  expectCode(a, 2);
  assert.match(oneLine(a.stderr), /B2_APPLICATION_KEY_ID is empty/);
  const b = await fx.run(['lsd'], { env: { B2_APPLICATION_KEY: '' } });
  expectCode(b, 2);
  assert.match(oneLine(b.stderr), /B2_APPLICATION_KEY is empty/);
  const c = await fx.run(['lsd'], { noCredentials: true });
  expectCode(c, 2);
  assert.match(oneLine(c.stderr), /no credentials: run `b2sync config`/);
});

test('a wrong key exits 1 with a line naming what to check, and no secret', async () => {
  const r = await fx.run(['lsd'], { env: { B2_APPLICATION_KEY: 'wrong-key-value-123' } });
  expectCode(r, 1);
  assert.match(oneLine(r.stderr), /B2 refused the application key.*check the key id and key/);
});

test('wrong option values exit 2 through commander', async () => {
  // two through the built bin, the rest in process (parse errors happen before any call)
  for (const args of [
    ['ls', '--bogus', `b2://${B}`],
    ['share', '--expires', '3 fortnights', `b2://${B}/x`],
  ]) {
    const r = await fx.run(args);
    expectCode(r, 2);
    assert.match(r.stderr, /^b2sync: [^\n]+ \(add --help for usage\)\n$/, args.join(' '));
  }
  for (const args of [
    ['ls', '--bogus', `b2://${B}`],
    ['cat', '--offset', '-5', `b2://${B}/x`],
    ['put', '--transfers', '0', 'x', `b2://${B}/`],
    ['put', '--part-size', 'huge', 'x', `b2://${B}/`],
    ['share', '--expires', '3 fortnights', `b2://${B}/x`],
    ['mkdir', '--type', 'allSecret', 'b2://new-bucket-x'],
    ['cleanup', '--keep-days', 'many', `b2://${B}`],
    ['put', '--info', 'novalue', 'x', `b2://${B}/`],
    ['config', 'add', 'p1'],
    ['nosuchcommand'],
  ]) {
    const r = await runInProcess(args);
    expectCode(r, 2);
    assert.match(r.stderr, /^b2sync: [^\n]+ \(add --help for usage\)\n$/, args.join(' '));
  }
  // no command at all, or a command group without its subcommand: help on stderr, exit 2
  for (const args of [[], ['bucket']]) {
    const r = await runInProcess(args);
    expectCode(r, 2);
    assert.match(r.stderr, /Usage: b2sync/, args.join(' '));
  }
  const v = await runInProcess(['versions']);
  expectCode(v, 2);
  assert.match(v.stderr, /missing required argument 'remote'/);
});

test('a missing local file or remote file exits 3', async () => {
  expectCode(await fx.run(['put', join(fx.dir, 'nope.txt'), `b2://${B}/`]), 3);
  expectCode(await fx.run(['get', `b2://${B}/nope.txt`, fx.dir]), 3);
  expectCode(await fx.run(['versions', `b2://${B}/nope.txt`]), 3);
  expectCode(await fx.run(['ls', `b2://${B}/nope/`]), 3);
});

test('name plus metadata over the 7000-byte header budget is refused before upload (exit 2)', async () => {
  const r = await fx.run([
    'put',
    '--info',
    `note=${'x'.repeat(7000)}`,
    join(fx.dir, 'small.txt'),
    `b2://${B}/meta.txt`,
  ]);
  expectCode(r, 2);
  assert.match(oneLine(r.stderr), /over B2's 7000-byte limit.*shorten the file name or drop metadata/);
});

test('a file over 10 TB, or one needing over 10,000 parts, is refused before any call (exit 2)', async () => {
  const huge = join(fx.dir, 'huge.img');
  await writeFile(huge, '');
  await truncate(huge, 10_000_000_000_001); // sparse: no disk used
  const before = fx.emu.controls.counters().calls;
  const r = await fx.run(['put', huge, `b2://${B}/`]);
  expectCode(r, 2);
  assert.match(oneLine(r.stderr), /over B2's 10 TB limit for one file/);
  const big = join(fx.dir, 'big.img');
  await writeFile(big, '');
  await truncate(big, 60_000_000_000);
  const p = await fx.run(['put', '--part-size', '5MB', big, `b2://${B}/`]);
  expectCode(p, 2);
  assert.match(oneLine(p.stderr), /needs 12000 parts .* B2 allows 10000: use --part-size 6MB or more/);
  const after = fx.emu.controls.counters().calls;
  assert.equal(after.b2_start_large_file ?? 0, before.b2_start_large_file ?? 0);
  assert.equal(after.b2_upload_file ?? 0, before.b2_upload_file ?? 0);
});

test('when some items fail and others succeed the exit code is 4 and each failure is named', async () => {
  const dir = join(fx.dir, 'mixed');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'good.txt'), 'good');
  await writeFile(join(dir, 'bad\u0002.txt'), 'bad');
  const r = await fx.run(['put', dir, `b2://${B}/mixed/`]);
  expectCode(r, 4);
  // The name is printed with its control character escaped (docs/commands.md, "Names in output").
  assert.match(r.stderr, /failed: .*bad\\x02\.txt: File names must not contain control characters/);
  assert.ok(!r.stderr.includes('\u0002'), 'no raw control character on stderr');
  assert.match(r.stderr, /1 of 2 items failed/);
  expectCode(await fx.run(['cat', `b2://${B}/mixed/good.txt`]), 0);
});

test('--verbose logs each B2 call with tokens redacted and shows a stack trace on error', async () => {
  const r = await fx.run(['-v', 'cat', `b2://${B}/nope.txt`]);
  expectCode(r, 3);
  assert.match(r.stderr, /b2_list_buckets POST http:\/\/127\.0\.0\.1:\d+\/b2api\/v4\/b2_list_buckets -> 200/);
  assert.match(r.stderr, /\n\s+at /, 'stack trace with --verbose');
});

test('--log-file records calls and errors without secrets', async () => {
  const log = join(fx.dir, 'logs', 'b2sync.log');
  const r = await fx.run(['--log-file', log, 'share', `b2://${B}/nope`]);
  expectCode(r, 3);
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(log, 'utf8');
  assert.match(text, /DEBUG b2_list_buckets POST/);
  assert.match(text, /ERROR NotFoundError: .*no such file or folder/);
  for (const s of fx.secrets) assert.ok(!text.includes(s));
});

test('colours: FORCE_COLOR colours the error line, NO_COLOR keeps it plain', async () => {
  const forced = await fx.run(['ls', 'b2://bad_name'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
  assert.match(forced.stderr, /\x1b\[31m/);
  const plain = await fx.run(['ls', 'b2://bad_name'], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
  assert.ok(!plain.stderr.includes('\x1b['));
});

test('--help on every command shows examples and the exit codes are in the main help', async () => {
  const main = await fx.run(['--help']);
  expectCode(main, 0);
  assert.match(main.stdout, /Exit codes: 0 success, 1 runtime error, 2 usage error, 3 not found, 4 some items failed/);
  for (const cmd of [
    'lsd',
    'ls',
    'put',
    'get',
    'cat',
    'cp',
    'mv',
    'rm',
    'mkdir',
    'rmdir',
    'versions',
    'share',
    'cleanup',
    'bucket',
    'sync',
    'copy',
    'config',
  ]) {
    const r = await runInProcess([cmd, '--help']);
    expectCode(r, 0);
    assert.match(r.stdout, /Examples:\n\s+\$ b2sync /, cmd);
  }
});
