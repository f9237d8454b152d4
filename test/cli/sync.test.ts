/** End-to-end: sync and copy through the built bin: plan (--dry-run, --json NDJSON), summary, deletes, safety stop, exit 4. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';

let fx: Fixture;
const B = 'cli-sync-bucket';
let src: string;

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  src = join(fx.dir, 'src');
  await mkdir(join(src, 'sub dir'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha');
  await writeFile(join(src, 'b.log'), 'log file');
  await writeFile(join(src, 'sub dir', 'c+d %.txt'), 'charlie');
  await writeFile(join(src, 'sub dir', 'é.txt'), 'accent');
});
after(() => fx.close());

test('sync --dry-run --json prints the plan as NDJSON and changes nothing', async () => {
  const r = await fx.json(['sync', '--dry-run', src, `b2://${B}/backup`]);
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  const plan = r.records.filter((x) => x.type === 'plan');
  assert.deepEqual(plan.map((x) => [x.action, x.path, x.reason]).sort(), [
    ['upload', 'a.txt', 'new'],
    ['upload', 'b.log', 'new'],
    ['upload', 'sub dir/c+d %.txt', 'new'],
    ['upload', 'sub dir/é.txt', 'new'],
  ]);
  const summary = r.records.at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.equal(summary.dryRun, true);
  for (const k of ['transferredFiles', 'transferredBytes', 'checked', 'deleted', 'skipped', 'errors', 'elapsedMs'])
    assert.equal(typeof summary[k], 'number', k);
  expectCode(await fx.run(['ls', `b2://${B}/backup/`]), 3);
});

test('sync uploads, prints a summary, and a second run transfers nothing', async () => {
  const r = await fx.run(['sync', src, `b2://${B}/backup`]);
  expectCode(r, 0);
  assert.match(r.stderr, /sync: transferred 4 files \(\d+ B\), checked 0, deleted 0, skipped 0, errors 0/);
  assert.equal((await fx.run(['cat', `b2://${B}/backup/sub dir/c+d %.txt`])).stdout, 'charlie');
  const again = await fx.json(['sync', src, `b2://${B}/backup`]);
  const s = again.records.find((x) => x.type === 'summary')!;
  assert.equal(s.transferredFiles, 0);
  assert.equal(s.checked, 4);
});

test('sync deletes (hides) what the source lacks; copy never deletes; --exclude filters', async () => {
  await rm(join(src, 'b.log'));
  await writeFile(join(src, 'new.txt'), 'new');
  const c = await fx.json(['copy', src, `b2://${B}/backup`]);
  assert.deepEqual(
    c.records.filter((x) => x.type === 'done').map((x) => [x.action, x.path]),
    [['upload', 'new.txt']],
  );
  expectCode(await fx.run(['cat', `b2://${B}/backup/b.log`]), 0);
  const s = await fx.json(['sync', src, `b2://${B}/backup`]);
  assert.deepEqual(
    s.records.filter((x) => x.type === 'done').map((x) => [x.action, x.path]),
    [['delete', 'b.log']],
  );
  expectCode(await fx.run(['cat', `b2://${B}/backup/b.log`]), 3);
  await writeFile(join(src, 'z.md'), 'md');
  await writeFile(join(src, 'z.txt'), 'txt');
  const ex = await fx.json(['copy', '--dry-run', '--exclude', '*.txt', src, `b2://${B}/backup`]);
  assert.deepEqual(
    ex.records.filter((x) => x.type === 'plan' && x.action !== 'skip').map((x) => [x.action, x.path]),
    [['upload', 'z.md']],
  );
  const human = await fx.run(['copy', '--dry-run', '--exclude', '*.txt', src, `b2://${B}/backup`]);
  assert.match(human.stdout, /^upload {3}z\.md \(new\)$/m);
  assert.ok(!human.stdout.includes('skip'), 'skips are not listed without -v');
  await rm(join(src, 'z.md'));
  await rm(join(src, 'z.txt'));
});

test('sync down to a local folder reproduces the tree; --checksum finds no difference', async () => {
  const down = join(fx.dir, 'down');
  expectCode(await fx.run(['sync', `b2://${B}/backup`, down]), 0);
  for (const p of ['a.txt', 'new.txt', 'sub dir/c+d %.txt', 'sub dir/é.txt']) {
    assert.equal(await readFile(join(down, p), 'utf8'), await readFile(join(src, p), 'utf8'), p);
  }
  const cs = await fx.json(['sync', '--checksum', `b2://${B}/backup`, down]);
  assert.equal(cs.records.find((x) => x.type === 'summary')!.transferredFiles, 0);
  // a changed file (same size, newer mtime) is found by the default compare
  await writeFile(join(src, 'a.txt'), 'ALPHA');
  const later = new Date(Date.now() + 60_000);
  await utimes(join(src, 'a.txt'), later, later);
  const up = await fx.json(['sync', src, `b2://${B}/backup`]);
  assert.deepEqual(
    up.records.filter((x) => x.type === 'done').map((x) => [x.action, x.path, x.reason]),
    [['upload', 'a.txt', 'newer']],
  );
});

test('the safety stop refuses to empty the destination (exit 2) unless --force', async () => {
  const empty = join(fx.dir, 'empty');
  await mkdir(empty, { recursive: true });
  const r = await fx.run(['sync', empty, `b2://${B}/backup`]);
  expectCode(r, 2);
  assert.match(r.stderr, /--force/);
  expectCode(await fx.run(['cat', `b2://${B}/backup/a.txt`]), 0);
  const forced = await fx.json(['sync', '--force', '--dry-run', empty, `b2://${B}/backup`]);
  expectCode({ code: forced.code, stderr: forced.stderr }, 0);
  assert.ok(forced.records.filter((x) => x.type === 'plan' && x.action === 'delete').length >= 4);
});

test('bad sync input: two local paths, conflicting flags, bad values, a missing source', async () => {
  const a = await fx.run(['sync', src, join(fx.dir, 'other')]);
  expectCode(a, 2);
  assert.match(a.stderr, /needs a remote side/);
  expectCode(await fx.run(['sync', '--checksum', '--size-only', src, `b2://${B}/x`]), 2);
  expectCode(await fx.run(['sync', '--transfers', 'lots', src, `b2://${B}/x`]), 2);
  expectCode(await fx.run(['sync', '--max-size', 'big', src, `b2://${B}/x`]), 2);
  expectCode(await fx.run(['sync', join(fx.dir, 'missing'), `b2://${B}/x`]), 3);
  expectCode(await fx.run(['sync', src, 'b2://no-such-bucket-sync/x']), 3);
});

test('a sync where some files fail exits 4 and names each failure on stderr', async () => {
  // a name B2 refuses fails that one item (an unreadable file would not fail for root)
  const mixed = join(fx.dir, 'mixed');
  await mkdir(mixed, { recursive: true });
  await writeFile(join(mixed, 'ok.txt'), 'ok');
  await writeFile(join(mixed, 'bad\u0001.txt'), 'bad');
  const r = await fx.run(['sync', mixed, `b2://${B}/mixed`]);
  expectCode(r, 4);
  assert.match(r.stderr, /failed: .*bad\\x01\.txt/);
  assert.ok(!r.stderr.includes('\u0001'), 'no raw control character on stderr');
  assert.match(r.stderr, /item\(s\) failed during sync/);
  expectCode(await fx.run(['cat', `b2://${B}/mixed/ok.txt`]), 0);
});
