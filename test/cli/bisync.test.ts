/** End-to-end: bisync through the built bin against the emulator: merge, three-way changes, conflicts, renames, safety, lock. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, rm, writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { expectCode, makeFixture, type Fixture } from './harness.js';
import { makePair, plan } from './bisync-pair.js';

let fx: Fixture;
const B = 'cli-bisync';
const pair = (order?: 'local-first' | 'remote-first') => makePair(fx, B, order);

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

test('first run merges both sides; the same content settles; a second run plans nothing', async () => {
  const p = await pair();
  await writeFile(join(p.local, 'only-local.txt'), 'L');
  await p.put('only-remote.txt', 'R');
  const r = await p.bisync();
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  assert.deepEqual(plan(r), ['download only-remote.txt', 'upload only-local.txt']);
  assert.deepEqual(await p.localFiles(), { 'only-local.txt': 'L', 'only-remote.txt': 'R' });
  assert.deepEqual(await p.remoteFiles(), { 'only-local.txt': 'L', 'only-remote.txt': 'R' });
  const again = await p.bisync();
  expectCode({ code: again.code, stderr: again.stderr }, 0);
  assert.deepEqual(plan(again), []);
  assert.equal(again.records.at(-1)!.unchanged, 2);
});

for (const order of ['local-first', 'remote-first'] as const) {
  test(`changes and deletions travel both ways; delete vs modify restores (${order})`, async () => {
    const p = await pair(order);
    for (const f of ['lchg', 'rchg', 'ldel', 'rdel', 'lmod-rdel', 'same']) await writeFile(join(p.local, f), f);
    expectCode(await p.bisync(), 0);
    const later = new Date(Date.now() + 5000);
    await writeFile(join(p.local, 'lchg'), 'local change');
    await utimes(join(p.local, 'lchg'), later, later);
    await p.put('rchg', 'remote change');
    await rm(join(p.local, 'ldel'));
    expectCode(await fx.run(['rm', `${p.remote}/rdel`]), 0);
    await writeFile(join(p.local, 'lmod-rdel'), 'modified here');
    await utimes(join(p.local, 'lmod-rdel'), later, later);
    expectCode(await fx.run(['rm', `${p.remote}/lmod-rdel`]), 0);
    const r = await p.bisync('--force');
    expectCode({ code: r.code, stderr: r.stderr }, 0);
    assert.deepEqual(plan(r), [
      'delete-local rdel',
      'delete-remote ldel',
      'download rchg',
      'upload lchg',
      'upload lmod-rdel',
    ]);
    const want = { lchg: 'local change', rchg: 'remote change', 'lmod-rdel': 'modified here', same: 'same' };
    assert.deepEqual(await p.localFiles(), want);
    assert.deepEqual(await p.remoteFiles(), want);
    assert.deepEqual(plan(await p.bisync()), []);
  });
}

test('a conflict keeps both versions under a conflict name on both sides (keep-both)', async () => {
  const p = await pair();
  await writeFile(join(p.local, 'doc.txt'), 'base');
  expectCode(await p.bisync(), 0);
  await p.put('doc.txt', 'remote edit');
  await writeFile(join(p.local, 'doc.txt'), 'local edit, newer');
  const later = new Date(Date.now() + 60_000);
  await utimes(join(p.local, 'doc.txt'), later, later);
  const r = await p.bisync();
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  const c = r.records.find((x) => x.type === 'plan')!;
  assert.equal(c.action, 'conflict');
  assert.equal(c.winner, 'path1');
  const loser = String(c.loserPath);
  assert.match(loser, /^doc\.conflict-\d{8}-\d{6}-path2\.txt$/);
  const want = { 'doc.txt': 'local edit, newer', [loser]: 'remote edit' };
  assert.deepEqual(await p.localFiles(), want);
  assert.deepEqual(await p.remoteFiles(), want);
  assert.deepEqual(plan(await p.bisync()), []);
});

test('a renamed local file and folder are renamed on B2 by server-side copy: nothing uploaded', async () => {
  const p = await pair();
  await mkdir(join(p.local, 'dir'));
  for (const f of ['dir/a', 'dir/b', 'top']) await writeFile(join(p.local, f), `content of ${f}`);
  expectCode(await p.bisync(), 0);
  await rename(join(p.local, 'dir'), join(p.local, 'moved'));
  await rename(join(p.local, 'top'), join(p.local, 'top2'));
  fx.emu.controls.resetCounters();
  const r = await p.bisync();
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  assert.deepEqual(plan(r), ['rename-remote moved/a', 'rename-remote moved/b', 'rename-remote top2']);
  const calls = fx.emu.controls.counters().calls;
  assert.equal(calls.b2_upload_file ?? 0, 0, 'no bytes uploaded');
  assert.equal(calls.b2_copy_file, 3);
  const want = { 'moved/a': 'content of dir/a', 'moved/b': 'content of dir/b', top2: 'content of top' };
  assert.deepEqual(await p.remoteFiles(), want);
  assert.deepEqual(await p.localFiles(), want);
});

test('the safety stop refuses an empty side and too many deletions, changing nothing; --force goes ahead', async () => {
  const p = await pair();
  for (let i = 0; i < 4; i++) await writeFile(join(p.local, `f${i}`), `x${i}`);
  expectCode(await p.bisync(), 0);
  for (let i = 0; i < 3; i++) await rm(join(p.local, `f${i}`));
  const stop = await p.bisync();
  assert.equal(stop.code, 2);
  assert.match(stop.stderr, /would delete 3 of 4 file\(s\).*--max-delete 50%/);
  assert.equal(Object.keys(await p.remoteFiles()).length, 4);
  const dry = await p.bisync('--dry-run', '--max-delete', '3');
  expectCode({ code: dry.code, stderr: dry.stderr }, 0);
  assert.equal(Object.keys(await p.remoteFiles()).length, 4, 'a dry run changes nothing');
  const real = await p.bisync('--max-delete', '3');
  expectCode({ code: real.code, stderr: real.stderr }, 0);
  assert.deepEqual(plan(real), plan(dry), 'the dry run planned what the real run did');
  assert.deepEqual(await p.remoteFiles(), { f3: 'x3' });
  await rm(join(p.local, 'f3'));
  const empty = await p.bisync();
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /is empty or missing/);
});

test('a held lock refuses a second run naming the pid; a dead process lock is taken over', async () => {
  const p = await pair();
  await writeFile(join(p.local, 'a'), 'a');
  expectCode(await p.bisync(), 0);
  const [key] = await readdir(p.state);
  const lock = join(p.state, key, 'lock');
  await writeFile(
    lock,
    JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), started: 'x', command: 'bisync' }),
  );
  const held = await p.bisync();
  assert.equal(held.code, 1);
  assert.match(held.stderr, new RegExp(`pid ${process.pid}.*lock file`));
  await writeFile(
    lock,
    JSON.stringify({ pid: 2 ** 22 + 7, host: (await import('node:os')).hostname(), started: 'x', command: 'bisync' }),
  );
  const taken = await p.bisync();
  expectCode({ code: taken.code, stderr: taken.stderr }, 0);
  assert.ok(taken.records.some((x) => x.type === 'note' && /took over the lock/.test(String(x.message))));
});

test('two local folders bisyncing one prefix in turns converge', async () => {
  const a = await pair();
  const b = { ...(await pair()), remote: a.remote };
  b.bisync = (...extra) => fx.json(['bisync', b.local, a.remote, '--state-dir', b.state, ...extra]);
  await writeFile(join(a.local, 'from-a'), 'A');
  await writeFile(join(b.local, 'from-b'), 'B');
  for (const x of [a, b, a]) expectCode(await x.bisync(), 0);
  await writeFile(join(b.local, 'from-a'), 'A edited on b');
  const t = new Date(Date.now() + 10_000);
  await utimes(join(b.local, 'from-a'), t, t);
  await rm(join(a.local, 'from-b'));
  for (const x of [b, a, b]) expectCode(await x.bisync('--force'), 0);
  const want = { 'from-a': 'A edited on b' };
  assert.deepEqual(await a.localFiles(), want);
  assert.deepEqual(await b.localFiles(), want);
  assert.deepEqual(plan(await a.bisync()), []);
  assert.deepEqual(plan(await b.bisync()), []);
});

test('two local names that differ only in unicode form are held and reported, never merged or uploaded', async () => {
  const p = await pair();
  await writeFile(join(p.local, 'caf\u00e9.txt'), 'nfc');
  await writeFile(join(p.local, 'cafe\u0301.txt'), 'nfd');
  await writeFile(join(p.local, 'plain.txt'), 'p');
  const r = await p.bisync();
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  const held = r.records.filter((x) => x.type === 'warning' && /unicode form/.test(String(x.message)));
  assert.equal(held.length, 2, JSON.stringify(r.records));
  assert.deepEqual(await p.remoteFiles(), { 'plain.txt': 'p' });
  assert.deepEqual(await p.localFiles(), { 'caf\u00e9.txt': 'nfc', 'cafe\u0301.txt': 'nfd', 'plain.txt': 'p' });
});

test('a rename on B2 (copy + hide by another tool) is a local rename; --conflict path2 (the local folder here) wins, the B2 version stays as an older version', async () => {
  const p = await pair('remote-first');
  await writeFile(join(p.local, 'old-name'), 'renamed content');
  await writeFile(join(p.local, 'both'), 'base');
  expectCode(await p.bisync(), 0);
  expectCode(await fx.run(['mv', `${p.remote}/old-name`, `${p.remote}/new-name`]), 0);
  await p.put('both', 'remote edit');
  await writeFile(join(p.local, 'both'), 'local edit');
  const r = await p.bisync('--conflict', 'path2');
  expectCode({ code: r.code, stderr: r.stderr }, 0);
  assert.deepEqual(plan(r), ['conflict both', 'rename-local new-name']);
  const c = r.records.find((x) => x.type === 'plan' && x.action === 'conflict')!;
  assert.equal(c.winner, 'path2', 'path2 is the local folder here');
  assert.equal(c.loserPath, undefined, "B2's version stays as an older version, no conflict copy");
  const want = { 'new-name': 'renamed content', both: 'local edit' };
  assert.deepEqual(await p.localFiles(), want);
  assert.deepEqual(await p.remoteFiles(), want);
});
