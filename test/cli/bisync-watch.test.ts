/**
 * End-to-end `bisync --watch` through the built bin (dist/) with the real local watcher, against the
 * emulator over HTTP: a local change pushed, a B2 change pulled by polling, a conflict during watch
 * resolved by the policy, a second bisync of the pair refused while the watch holds the lock (naming
 * the lock and the PID), and SIGTERM → exit 0 with the lock released and the state saved (a one-shot
 * run afterwards plans nothing).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN, expectCode, makeFixture, type Fixture } from './harness.js';
import { makePair, type Pair } from './bisync-pair.js';

let fx: Fixture;
const B = 'cli-bisync-watch';

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(() => fx.close());

interface Watch {
  child: ChildProcess;
  records: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(what: string, pred: (r: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

function watch(p: Pair, extra: string[]): Watch {
  const args = [
    '--json',
    'bisync',
    '--watch',
    '--settle',
    '100ms',
    ...extra,
    p.local,
    p.remote,
    '--state-dir',
    p.state,
  ];
  const child = spawn(process.execPath, [BIN, ...args], { env: fx.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const records: Record<string, unknown>[] = [];
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      records.push({ type: 'not-json', line });
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    records,
    stderr: () => err,
    exited,
    async waitFor(what, pred, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = records.find(pred);
        if (hit) return hit;
        if (child.exitCode !== null || Date.now() > end)
          throw new Error(`waiting for ${what}: ${JSON.stringify(records.slice(-8))}\nstderr: ${err.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

const change = (action: string, path: string) => (r: Record<string, unknown>) =>
  r.type === 'change' && r.action === action && r.path === path;

async function stop(w: Watch): Promise<void> {
  w.child.kill('SIGTERM');
  const { code, signal } = await w.exited;
  assert.equal(signal, null, w.stderr());
  assert.equal(code, 0, `exit 0 after SIGTERM\n${w.stderr()}`);
}

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function pairDir(p: Pair): Promise<string> {
  const keys = await readdir(p.state);
  assert.equal(keys.length, 1);
  return join(p.state, keys[0]!);
}

test('bisync --watch: local change pushed, B2 change pulled by polling, second run refused, SIGTERM → exit 0, lock released, state saved', async () => {
  const p = await makePair(fx, B);
  await writeFile(join(p.local, 'a.txt'), 'a');
  const w = watch(p, ['--poll', '1s']);
  try {
    const start = await w.waitFor('the start line', (r) => r.type === 'watch' && r.action === 'start');
    assert.equal(start.pollMs, 1000);
    assert.ok(typeof start.classCPerDay === 'number' && start.classCPerDay >= 86_400);
    assert.ok(typeof start.time === 'string' && String(start.time).endsWith('Z'));
    await w.waitFor('the first pass uploads a.txt', change('upload', 'a.txt'));

    const second = await fx.run(['bisync', p.local, p.remote, '--state-dir', p.state]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, new RegExp(`pid ${w.child.pid}`));
    assert.match(second.stderr, /lock/);

    await writeFile(join(p.local, 'pushed.txt'), 'pushed by the watcher');
    await w.waitFor('pushed.txt uploaded', change('upload', 'pushed.txt'));
    assert.equal((await p.remoteFiles())['pushed.txt'], 'pushed by the watcher');

    await p.put('pulled.txt', 'pulled by polling');
    await w.waitFor('pulled.txt downloaded', change('download', 'pulled.txt'));
    assert.equal((await p.localFiles())['pulled.txt'], 'pulled by polling');
  } finally {
    await stop(w);
  }
  assert.ok(
    w.records.some((r) => r.type === 'watch' && r.action === 'stop'),
    'a stop line',
  );
  const dir = await pairDir(p);
  assert.ok(!existsSync(join(dir, 'lock')), 'the lock is released');
  assert.ok(existsSync(join(dir, 'state')), 'the state is saved');
  const after = await p.bisync('--json');
  assert.equal(after.code, 0, after.stderr);
  assert.deepEqual(
    after.records.filter((r) => r.type === 'plan'),
    [],
    'the watch left nothing for a one-shot run',
  );
});

test('bisync --watch: a file changed on both sides before a pass is a conflict resolved by the policy', async () => {
  const p = await makePair(fx, B);
  await writeFile(join(p.local, 'e.txt'), 'e');
  const w = watch(p, ['--poll', '1h', '--conflict', 'newer']);
  try {
    await w.waitFor('the first pass uploads e.txt', change('upload', 'e.txt'));
    // B2 first (no poll comes for an hour), then the local side, older: a conflict that B2's newer version wins
    await p.put('e.txt', 'e changed on B2');
    const older = new Date(Date.now() - 3_600_000);
    await writeFile(join(p.local, 'e.txt'), 'e changed locally');
    await utimes(join(p.local, 'e.txt'), older, older);
    const c = await w.waitFor('the conflict', change('conflict', 'e.txt'));
    assert.ok(typeof c.to === 'string' && String(c.to).startsWith('e.conflict-'), JSON.stringify(c));
    await until('the conflict copy on both sides', async () => (await p.remoteFiles())[String(c.to)] !== undefined);
  } finally {
    await stop(w);
  }
  const local = await p.localFiles();
  const remote = await p.remoteFiles();
  assert.equal(local['e.txt'], 'e changed on B2', 'the newer version keeps the name');
  const copy = Object.keys(local).find((k) => k.startsWith('e.conflict-'));
  assert.ok(copy, `a conflict copy in ${JSON.stringify(local)}`);
  assert.equal(local[copy], 'e changed locally', 'the other version is kept');
  assert.equal(remote[copy], 'e changed locally');
  assert.equal(remote['e.txt'], 'e changed on B2');
});
