/**
 * End-to-end: --fsync on get, versions get and sync (B2 -> local), checked from the system calls the
 * built bin makes, traced with strace: the temp file is fdatasync'ed before it is renamed onto the
 * target, and the target's folder fsync'ed after; without --fsync neither happens.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertNoSecrets, expectCode, makeFixture, runBin, type Fixture, type RunResult } from './harness.js';

/** The suffix src/transfer/download.ts gives its temp files (`<target>.<12 hex>.b2sync-tmp`). */
const TEMP_SUFFIX = '.b2sync-tmp';

/** Why strace cannot be used here (the tests are then reported skipped with this reason), or undefined. */
function straceUnusable(): string | undefined {
  const probe = spawnSync('strace', ['-f', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (probe.error)
    return `strace is not available (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})`;
  if (probe.status !== 0)
    return `strace cannot trace here (exit ${probe.status}): ${probe.stderr.trim().slice(0, 200)}`;
  return undefined;
}
const skip = straceUnusable();

let fx: Fixture;
let dir: string; // fx.dir with symlinks resolved, as strace -y prints paths
const B = 'cli-fsync-bucket';
const files: Record<string, Buffer> = {
  'a.bin': randomBytes(3000),
  'sub/b.bin': randomBytes(70_000),
  'empty.bin': Buffer.alloc(0),
};

before(async () => {
  fx = await makeFixture();
  dir = await realpath(fx.dir);
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
  for (const [name, data] of Object.entries(files))
    expectCode(await fx.run(['put', '-', `b2://${B}/data/${name}`], { input: data }), 0);
});
after(() => fx.close());

interface Call {
  line: number;
  name: string;
  /** the fd's path for fsync/fdatasync (strace -y), [from, to] for the rename calls */
  paths: string[];
}

/** Runs the built bin under strace; returns its result and the traced calls in order. */
async function traced(args: string[]): Promise<RunResult & { calls: Call[]; trace: string }> {
  const out = join(dir, `strace-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  const r = await runBin(args, fx.env, undefined, undefined, [
    'strace',
    '-f',
    '-y',
    '-e',
    'trace=fdatasync,fsync,rename,renameat,renameat2',
    '-o',
    out,
  ]);
  assertNoSecrets(r.stdout + r.stderr, fx.secrets, `output of ${args.join(' ')}`);
  const trace = await readFile(out, 'utf8');
  const calls: Call[] = [];
  trace.split('\n').forEach((text, line) => {
    // "PID fdatasync(21</path/to/file> <unfinished ...>" or "PID fsync(21</dir>) = 0"; the "<... resumed>" halves are not calls
    const sync = /^\d+\s+(fdatasync|fsync)\(\d+<([^>]*)>/.exec(text);
    if (sync) calls.push({ line, name: sync[1]!, paths: [sync[2]!] });
    const ren = /^\d+\s+(rename|renameat|renameat2)\(.*?"([^"]*)".*?"([^"]*)"/.exec(text);
    if (ren) calls.push({ line, name: ren[1]!, paths: [ren[2]!, ren[3]!] });
  });
  return { ...r, calls, trace };
}

const isSync = (c: Call): boolean => c.name === 'fsync' || c.name === 'fdatasync';

/** Asserts the order for one downloaded file: temp fdatasync'ed, temp renamed onto target, folder fsync'ed. */
function assertDurable(calls: Call[], trace: string, target: string): void {
  const renameIdx = calls.findIndex((c) => !isSync(c) && c.paths[1] === target && c.paths[0]!.endsWith(TEMP_SUFFIX));
  assert.ok(renameIdx >= 0, `a rename of a ${TEMP_SUFFIX} file onto ${target}\n${trace}`);
  const temp = calls[renameIdx]!.paths[0]!;
  assert.ok(
    calls.slice(0, renameIdx).some((c) => isSync(c) && c.paths[0] === temp),
    `fdatasync/fsync of ${temp} before its rename\n${trace}`,
  );
  assert.ok(
    calls.slice(renameIdx + 1).some((c) => isSync(c) && c.paths[0] === dirname(target)),
    `fsync of ${dirname(target)} after the rename\n${trace}`,
  );
}

/** Asserts the file was downloaded (renamed from its temp file) with no flush of the temp file or the folder. */
function assertNotFlushed(calls: Call[], trace: string, target: string): void {
  const ren = calls.find((c) => !isSync(c) && c.paths[1] === target && c.paths[0]!.endsWith(TEMP_SUFFIX));
  assert.ok(ren, `a rename of a ${TEMP_SUFFIX} file onto ${target}\n${trace}`);
  assert.deepEqual(
    calls.filter((c) => isSync(c) && (c.paths[0] === ren.paths[0] || c.paths[0] === dirname(target))),
    [],
    trace,
  );
}

async function noTemps(folder: string): Promise<void> {
  const left = (await readdir(folder, { recursive: true })).filter((n) => n.endsWith(TEMP_SUFFIX));
  assert.deepEqual(left, [], 'no temp files left behind');
}

test(
  'get --fsync: fdatasync of the temp file before its rename onto the target, fsync of the folder after',
  { skip },
  async () => {
    const down = join(dir, 'get-fsync');
    await mkdir(down);
    const target = join(down, 'a.bin');
    const r = await traced(['get', '--fsync', `b2://${B}/data/a.bin`, target]);
    expectCode(r, 0);
    assertDurable(r.calls, r.trace, target);
    assert.deepEqual(await readFile(target), files['a.bin']);
    await noTemps(down);
  },
);

test('get without --fsync: no fdatasync/fsync of the temp file or the folder', { skip }, async () => {
  const down = join(dir, 'get-plain');
  await mkdir(down);
  const target = join(down, 'a.bin');
  const r = await traced(['get', `b2://${B}/data/a.bin`, target]);
  expectCode(r, 0);
  assertNotFlushed(r.calls, r.trace, target);
  assert.deepEqual(await readFile(target), files['a.bin']);
});

test('versions get --fsync flushes the same way', { skip }, async () => {
  const v = await fx.json(['versions', `b2://${B}/data/a.bin`]);
  expectCode({ code: v.code, stderr: v.stderr }, 0);
  const target = join(dir, 'a-version.bin');
  const r = await traced(['versions', 'get', '--fsync', `b2://${B}/data/a.bin`, String(v.records[0]!.fileId), target]);
  expectCode(r, 0);
  assertDurable(r.calls, r.trace, target);
  assert.deepEqual(await readFile(target), files['a.bin']);
});

test(
  'sync --fsync (B2 -> local): every downloaded file flushed before its rename, its folder after',
  { skip },
  async () => {
    const down = join(dir, 'sync-fsync');
    const r = await traced(['sync', '--fsync', `b2://${B}/data`, down]);
    expectCode(r, 0);
    for (const [name, data] of Object.entries(files)) {
      assertDurable(r.calls, r.trace, join(down, name));
      assert.deepEqual(await readFile(join(down, name)), data, name);
    }
    await noTemps(down);
  },
);

test('sync without --fsync (B2 -> local): no flush of the temp files', { skip }, async () => {
  const down = join(dir, 'sync-plain');
  const r = await traced(['copy', `b2://${B}/data`, down]);
  expectCode(r, 0);
  for (const [name, data] of Object.entries(files)) {
    assertNotFlushed(r.calls, r.trace, join(down, name));
    assert.deepEqual(await readFile(join(down, name)), data, name);
  }
});

test('sync --fsync to B2 is a usage error (it applies to downloads)', async () => {
  const src = join(dir, 'up');
  await mkdir(src);
  await writeFile(join(src, 'x.txt'), 'x');
  const r = await fx.run(['sync', '--fsync', src, `b2://${B}/up`]);
  expectCode(r, 2);
  assert.match(r.stderr, /--fsync applies to downloads/);
});
