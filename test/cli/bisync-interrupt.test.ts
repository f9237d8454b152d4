/**
 * End-to-end: bisync interrupted by SIGINT (Ctrl-C) or SIGTERM in the middle of its transfers, and --hard-delete
 * against plain deletions (a hide), through the built bin against the emulator.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, expectCode, makeFixture, type Fixture } from './harness.js';
import { makePair, plan, walk, type Pair } from './bisync-pair.js';

let fx: Fixture;
const B = 'cli-bisync-interrupt';

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  records: Record<string, unknown>[];
}

/** Run bisync with --json and send `sig` once `afterDone` operations are done. */
function interruptedBisync(p: Pair, afterDone: number, sig: 'SIGINT' | 'SIGTERM'): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const args = ['bisync', '--json', '--transfers', '1', p.local, p.remote, '--state-dir', p.state];
    const child = spawn(process.execPath, [BIN, ...args], { env: fx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const records: Record<string, unknown>[] = [];
    let done = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const rec = JSON.parse(line) as Record<string, unknown>;
      records.push(rec);
      if (rec.type === 'done' && ++done === afterDone) child.kill(sig);
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, records }));
  });
}

/** The pair's state directory (one pair key under the state dir). */
async function pairDir(p: Pair): Promise<string> {
  const keys = await readdir(p.state);
  assert.equal(keys.length, 1, `one pair directory in ${p.state}`);
  return join(p.state, keys[0]!);
}

for (const [sig, exit] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  test(`${sig} in the middle of a run: exit ${exit}, no temp file, the state whole; the next run finishes the job, losing nothing`, async () => {
    const p = await makePair(fx, B);
    for (let i = 0; i < 4; i++) await writeFile(join(p.local, `base${i}.txt`), `base ${i}`);
    expectCode(await p.bisync(), 0);
    const want: Record<string, string> = {};
    for (let i = 0; i < 4; i++) want[`base${i}.txt`] = `base ${i}`;
    await mkdir(join(p.local, 'new'));
    for (let i = 0; i < 12; i++) {
      const name = `new/local${String(i).padStart(2, '0')}.txt`;
      want[name] = `local ${i} `.repeat(50);
      await writeFile(join(p.local, name), want[name]);
    }
    for (let i = 0; i < 3; i++) {
      await p.put(`remote${i}.txt`, `remote ${i}`);
      want[`remote${i}.txt`] = `remote ${i}`;
    }
    const later = new Date(Date.now() + 10_000);
    await writeFile(join(p.local, 'base0.txt'), 'base 0 edited');
    await utimes(join(p.local, 'base0.txt'), later, later);
    want['base0.txt'] = 'base 0 edited';

    fx.emu.controls.setLatency(40);
    let r: Interrupted;
    try {
      r = await interruptedBisync(p, 2, sig);
    } finally {
      fx.emu.controls.setLatency(0);
    }
    const planned = r.records.filter((x) => x.type === 'plan');
    const done = r.records.filter((x) => x.type === 'done');
    assert.equal(planned.length, 16, 'the run planned 12 uploads, 3 downloads and 1 changed file');
    assert.ok(done.length >= 2 && done.length < planned.length, `interrupted mid-way (${done.length} done)`);
    assert.equal(r.code, exit, `exit code (signal ${r.signal})`);

    const local = await walk(p.local);
    assert.deepEqual(
      Object.keys(local).filter((n) => n.includes('.b2sync-')),
      [],
      'no temp file left in the local folder',
    );
    const dir = await pairDir(p);
    assert.deepEqual((await readdir(dir)).sort(), ['pair.json', 'state'], 'no lock, plan or journal left');
    const header = JSON.parse((await readFile(join(dir, 'state'), 'utf8')).split('\n')[0]!) as Record<string, unknown>;
    assert.equal(header.complete, true);
    const added = done.filter((x) => !String(x.path).startsWith('base')).length;
    assert.equal(header.records, 4 + added, 'the state holds the old records plus the new files done');

    const next = await p.bisync();
    expectCode({ code: next.code, stderr: next.stderr }, 0);
    const redone = new Set(done.map((x) => String(x.path)));
    const again = plan(next);
    assert.equal(again.length, planned.length - done.length, 'the next run plans exactly what was left');
    for (const line of again) assert.ok(!redone.has(line.slice(line.indexOf(' ') + 1)), `not done twice: ${line}`);
    assert.ok(!again.some((x) => x.startsWith('conflict')), 'no conflict');
    assert.deepEqual(await p.localFiles(), want);
    assert.deepEqual(await p.remoteFiles(), want);
    assert.deepEqual(plan(await p.bisync()), []);
  });

/** Every version of the pair's B2 files (hide markers too): name -> ['upload'|'hide', ...], newest first. */
async function versions(p: Pair): Promise<Record<string, string[]>> {
  const r = await fx.json(['ls', '--versions', '-R', p.remote + '/']);
  const out: Record<string, string[]> = {};
  for (const x of r.records) {
    const name = String(x.name ?? x.fileName).replace(/^.*\//, '');
    (out[name] ??= []).push(x.deleted ? 'hide' : 'upload');
  }
  return out;
}

test('a local deletion hides the B2 file (its versions stay); with --hard-delete every version is deleted', async () => {
  const p = await makePair(fx, B);
  for (const f of ['a', 'b', 'c']) await writeFile(join(p.local, f), `${f} v1`);
  expectCode(await p.bisync(), 0);
  const later = new Date(Date.now() + 10_000);
  for (const f of ['a', 'b']) {
    await writeFile(join(p.local, f), `${f} v2`);
    await utimes(join(p.local, f), later, later);
  }
  expectCode(await p.bisync(), 0);
  assert.deepEqual(await versions(p), { a: ['upload', 'upload'], b: ['upload', 'upload'], c: ['upload'] });

  await rm(join(p.local, 'b'));
  fx.emu.controls.resetCounters();
  const hide = await p.bisync();
  expectCode({ code: hide.code, stderr: hide.stderr }, 0);
  assert.deepEqual(plan(hide), ['delete-remote b']);
  assert.equal(fx.emu.controls.counters().calls.b2_delete_file_version ?? 0, 0, 'no version deleted');
  assert.deepEqual((await versions(p)).b, ['hide', 'upload', 'upload'], 'a hide marker on top of both versions');

  await rm(join(p.local, 'a'));
  fx.emu.controls.resetCounters();
  const hard = await p.bisync('--hard-delete');
  expectCode({ code: hard.code, stderr: hard.stderr }, 0);
  assert.deepEqual(plan(hard), ['delete-remote a']);
  assert.equal(fx.emu.controls.counters().calls.b2_hide_file ?? 0, 0, 'nothing hidden');
  const after = await versions(p);
  assert.equal(after.a, undefined, 'every version of a is gone');
  assert.deepEqual(after.c, ['upload'], 'the other files are untouched');
  assert.deepEqual(await p.remoteFiles(), { c: 'c v1' });
  assert.deepEqual(plan(await p.bisync()), []);
});
