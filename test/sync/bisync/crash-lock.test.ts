/**
 * Crash safety and the lock, with real child processes: a child writing a plan, its journal and the
 * commit is SIGKILLed at seeded random moments, and the next open + recover must give exactly the state
 * of the ops whose "done" reached the file. Lock: live holder refused, SIGKILLed holder taken over,
 * racing takeovers have one winner, release removes only our own lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PairState, LockHeldError } from '../../../src/sync/bisync/state-store.js';
import { isStaleLockTemp } from '../../../src/sync/bisync/lock.js';
import { pairKey } from '../../../src/sync/bisync/state-dir.js';
import { StateFileWriter } from '../../../src/sync/bisync/state-file.js';
import type { StateRecord } from '../../../src/sync/bisync/types.js';
import { expectedState, genRun, rng } from './gen-run.js';

const CHILD = new URL('./child.ts', import.meta.url).pathname;
const KEY = pairKey('/l', 'b', 'p');
const open = (stateDir: string, notes: string[] = []) =>
  PairState.open({
    stateDir,
    localRoot: '/l',
    bucketId: 'b',
    bucketName: 'bk',
    prefix: 'p',
    command: 't',
    onNotice: (m) => notes.push(m),
  });

function child(
  args: string[],
  onLine: (l: string) => void = () => {},
): { p: ChildProcess; exit: Promise<number | null> } {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  createInterface({ input: p.stdout! }).on('line', onLine);
  return { p, exit: new Promise((r) => p.on('exit', (code) => r(code))) };
}
function waitLine(c: ChildProcess, want: RegExp): Promise<string> {
  return new Promise((r) => createInterface({ input: c.stdout! }).on('line', (l) => want.test(l) && r(l)));
}
async function all(it: AsyncIterable<StateRecord[]>): Promise<StateRecord[]> {
  const out: StateRecord[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

test('lock: live holder refused naming pid, host and file; SIGKILLed holder taken over with a notice', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'block-'));
  const c = child(['hold', dir]);
  await waitLine(c.p, /^locked$/);
  await assert.rejects(open(dir), (e: Error) => {
    assert.ok(e instanceof LockHeldError);
    assert.ok(e.message.includes(`pid ${c.p.pid} on host ${hostname()}`), e.message);
    assert.ok(e.message.includes(join(dir, KEY, 'lock')), e.message);
    return true;
  });
  c.p.kill('SIGKILL');
  await c.exit;
  const notes: string[] = [];
  const s = await open(dir, notes);
  assert.match(notes.join('\n'), new RegExp(`took over the lock of pid ${c.p.pid}`));
  // A second open in this (live) process is refused too.
  await assert.rejects(open(dir), LockHeldError);
  // release only removes our own lock.
  const lockFile = join(s.dir, 'lock');
  const other = JSON.stringify({ pid: 1, host: 'elsewhere', started: 'x', command: 'y', token: 'z' }) + '\n';
  await writeFile(lockFile, other);
  await s.release();
  assert.equal(await readFile(lockFile, 'utf8'), other);
  await assert.rejects(open(dir), /pid 1 on host elsewhere/);
  await writeFile(lockFile, 'garbage');
  await assert.rejects(
    open(dir),
    (e: Error) => e instanceof LockHeldError && e.message.includes(lockFile) && /remove it/.test(e.message),
  );
  await rm(dir, { recursive: true });
});

test('lock: several processes racing to take over a dead lock: exactly one wins (5 rounds)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'block-'));
  for (let round = 0; round < 5; round++) {
    const dead = child(['hold', dir]);
    await waitLine(dead.p, /^locked$/);
    dead.p.kill('SIGKILL');
    await dead.exit;
    const results: string[] = [];
    const kids = Array.from({ length: 4 }, () => child(['race', dir], (l) => results.push(l)));
    // Let them load, then start them together.
    await new Promise((r) => setTimeout(r, 2500));
    for (const k of kids) k.p.stdin!.write('go\n');
    const t0 = Date.now();
    while (results.length < kids.length && Date.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 20));
    for (const k of kids) k.p.stdin!.end();
    await Promise.all(kids.map((k) => k.exit));
    assert.deepEqual(results.slice().sort(), ['held', 'held', 'held', 'won'], `round ${round}: ${results}`);
  }
  await rm(dir, { recursive: true });
});

test('crash safety: SIGKILL in plan writing, journal appends and commit; recover gives the exact state', async () => {
  const seed = Number(process.env.B2SYNC_CRASH_SEED ?? Date.now() % 100000);
  console.log(`crash test seed ${seed} (B2SYNC_CRASH_SEED to repeat)`);
  const r = rng(seed);
  const run = genRun(seed);
  const root = await mkdtemp(join(tmpdir(), 'bcrash-'));
  const reset = async () => {
    await rm(root, { recursive: true, force: true });
    await mkdir(join(root, KEY), { recursive: true });
    const w = await StateFileWriter.create(join(root, KEY, 'state'));
    for (const x of run.initial) await w.add(x);
    await w.finish();
  };
  // Calibration: a full run, timing each phase.
  await reset();
  const at: Record<string, number> = {};
  const cal = child(['crash', root, String(seed)], (l) => l.startsWith('phase') && (at[l.slice(6)] = Date.now()));
  assert.equal(await cal.exit, 0);
  const dur = { plan: at.journal - at.plan, journal: at.commit - at.journal, commit: at.end - at.commit };
  console.log(`phase durations (ms): ${JSON.stringify(dur)}`);
  const seen = { tempLeft: 0, unsealed: 0, recovered: 0 };
  for (let it = 0; it < 12; it++) {
    await reset();
    const phase = (['plan', 'journal', 'commit'] as const)[it % 3];
    const delay = Math.floor(r() * Math.max(1, dur[phase]));
    let flushed = 0;
    const c = child(['crash', root, String(seed)], (l) => {
      if (l.startsWith('flushed ')) flushed = Number(l.slice(8));
      if (l === `phase ${phase}`) setTimeout(() => c.p.kill('SIGKILL'), delay);
    });
    await c.exit;
    const names = await readdir(join(root, KEY));
    if (names.some((n) => n.startsWith('state.tmp-'))) seen.tempLeft++;
    const s = await open(root);
    const rec = await s.recover();
    if (rec) seen.recovered++;
    else if (names.includes('plan')) seen.unsealed++;
    const got = await all(s.records());
    const byPath = new Map(got.map((x) => [x.path, x]));
    const applied = new Set<number>();
    for (const o of run.ops) {
      const c0 = o.changes[o.changes.length - 1];
      const g = byPath.get(c0.path);
      if (c0.after ? g?.local.size === c0.after.local.size : !g) applied.add(o.id);
    }
    const m = applied.size;
    const msg = `seed ${seed} iteration ${it} (${phase} +${delay} ms): ${m} applied, ${flushed} flushed`;
    assert.ok(m >= flushed, msg);
    assert.deepEqual(applied, new Set(run.doneOrder.slice(0, m)), msg);
    assert.deepEqual(got, expectedState(run, applied), msg);
    await s.release();
  }
  console.log(`kills: ${JSON.stringify(seen)}`);
  await rm(root, { recursive: true, force: true });
});

test('lock: a lock temp file is stale only when its process is gone (a live racer keeps its own)', async () => {
  assert.equal(isStaleLockTemp(`lock.${process.pid}.0a1b2c3d`), false);
  const c = child(['hold', await mkdtemp(join(tmpdir(), 'bstale-'))]);
  await waitLine(c.p, /^locked$/);
  assert.equal(isStaleLockTemp(`lock.${c.p.pid}.0a1b2c3d`), false, 'a live process');
  c.p.kill('SIGKILL');
  await c.exit;
  assert.equal(isStaleLockTemp(`lock.${c.p.pid}.0a1b2c3d`), true, 'a dead process');
  assert.equal(isStaleLockTemp('lock.takeover'), false);
  assert.equal(isStaleLockTemp('lock'), false);
});
