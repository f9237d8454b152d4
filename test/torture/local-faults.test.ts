/**
 * Torture: local faults. The disk filling up during a download (a 4 MiB tmpfs), a file rewritten or
 * appended to while it is uploaded (put and sync up, a small file and a large file in parts), and an
 * unreadable file and folder in a sync up (run as an unprivileged user). Every check of the data is
 * the test's own SHA-1.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { baseEnv, expectCode, makeFixture, runBin, type Fixture, type RunResult } from '../cli/harness.js';
import { report, FULL } from './report.js';
import { generations, stateSha1 } from './lib-b/blocks.js';
import { mountTmpfs, sha1, sha1File, startWriter, tempFiles, unmount, writeBlocks } from './lib-b/local.js';

const B = 'torture-local-faults';
let fx: Fixture;
const started = Date.now();
const figures: Record<string, number | string> = {};

before(async () => {
  fx = await makeFixture();
  expectCode(await fx.run(['mkdir', `b2://${B}`]), 0);
});
after(async () => {
  report('local-faults', { ...figures, wallMs: Date.now() - started });
  await fx.close();
});

/** stderr lines that are not blank. */
function lines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

function noStackTrace(r: RunResult): void {
  assert.ok(!/^\s+at /m.test(r.stderr), `a stack trace on stderr:\n${r.stderr}`);
}

describe('the disk fills up during a download', () => {
  let mnt: string;
  let skip: string | undefined;
  const big = randomBytes(6 * 1024 * 1024); // more than the 4 MiB tmpfs holds
  const old = randomBytes(256 * 1024);
  const small = [randomBytes(1000), randomBytes(2000)];

  before(async () => {
    mnt = join(fx.dir, 'small-disk');
    skip = await mountTmpfs(mnt, '4m');
    if (skip) return;
    const src = join(fx.dir, 'src-big');
    await mkdir(src);
    await writeFile(join(src, 'big.bin'), big);
    await writeFile(join(src, 'a.txt'), small[0]!);
    await writeFile(join(src, 'b.txt'), small[1]!);
    expectCode(await fx.run(['sync', src, `b2://${B}/down`]), 0);
    for (const d of ['get', 'sync']) {
      await mkdir(join(mnt, d));
      await writeFile(join(mnt, d, 'big.bin'), old);
    }
  });
  after(() => {
    if (!skip) unmount(mnt);
  });

  test('get: one line naming the file and "no space left", exit 1, the old file intact, no temp', async (t) => {
    if (skip) return t.skip(skip);
    const r = await fx.run(['get', `b2://${B}/down/big.bin`, join(mnt, 'get', 'big.bin')]);
    expectCode(r, 1);
    noStackTrace(r);
    assert.equal(lines(r).length, 1, r.stderr);
    assert.match(r.stderr, /big\.bin/);
    assert.match(r.stderr, /no space left/i);
    assert.equal(await sha1File(join(mnt, 'get', 'big.bin')), sha1(old), 'the old file is intact');
    assert.deepEqual(await tempFiles(mnt), [], 'no temp file fills the disk');
    figures.enospcGetLine = lines(r)[0]!;
  });

  test('sync down: the file fails by name (exit 4), the others land, the old file intact, no temp', async (t) => {
    if (skip) return t.skip(skip);
    const dst = join(mnt, 'sync');
    const r = await fx.run(['sync', `b2://${B}/down`, dst, '--transfers', '1']);
    expectCode(r, 4);
    noStackTrace(r);
    const failed = lines(r).filter((l) => l.includes('failed: '));
    assert.equal(failed.length, 1, r.stderr);
    assert.match(failed[0]!, /big\.bin.*no space left/i);
    assert.equal(await sha1File(join(dst, 'big.bin')), sha1(old), 'the old file is intact');
    assert.equal(await sha1File(join(dst, 'a.txt')), sha1(small[0]!));
    assert.equal(await sha1File(join(dst, 'b.txt')), sha1(small[1]!));
    assert.deepEqual(await tempFiles(mnt), [], 'no temp file fills the disk');
  });
});

/** A file shape: `blocks` blocks of `blockSize` bytes. */
interface Shape {
  name: string;
  blocks: number;
  blockSize: number;
  mode: 'rewrite' | 'append';
  /** How long the writer writes, ms. */
  ms: number;
  via: 'put' | 'sync';
}

const SMALL = 48; // 48 x 16 KiB = 768 KiB: below the 1 MiB a sync reads into memory in one go
const LARGE = 210; // 210 x 1 MiB: above the 200 MB large-file cutoff, three parts

const shapes: Shape[] = [
  { name: 'small-rewrite-put.bin', blocks: SMALL, blockSize: 16384, mode: 'rewrite', ms: 1500, via: 'put' },
  { name: 'small-rewrite-sync.bin', blocks: SMALL, blockSize: 16384, mode: 'rewrite', ms: 1500, via: 'sync' },
  { name: 'small-append-put.bin', blocks: SMALL, blockSize: 16384, mode: 'append', ms: 1500, via: 'put' },
  ...(FULL
    ? ([
        { name: 'large-rewrite-put.bin', blocks: LARGE, blockSize: 1 << 20, mode: 'rewrite', ms: 3000, via: 'put' },
        { name: 'small-append-sync.bin', blocks: SMALL, blockSize: 16384, mode: 'append', ms: 1500, via: 'sync' },
        { name: 'large-rewrite-sync.bin', blocks: LARGE, blockSize: 1 << 20, mode: 'rewrite', ms: 3000, via: 'sync' },
        { name: 'large-append-put.bin', blocks: LARGE, blockSize: 1 << 20, mode: 'append', ms: 3000, via: 'put' },
      ] satisfies Shape[])
    : []),
];

/** Is `data` a complete state the writer gave the file? Returns a description of what it is otherwise. */
function completeState(s: Shape, data: Buffer, w: { passes?: number; blocks?: number }): string | undefined {
  const gens = generations(data, s.blockSize);
  if (s.mode === 'rewrite') {
    if (data.length !== s.blocks * s.blockSize) return `${data.length} bytes, expected ${s.blocks * s.blockSize}`;
    if (gens.length !== 1) return `a torn mix of generations ${gens.join(', ')}`;
    const g = gens[0]!;
    if (g > (w.passes ?? 0)) return `generation ${g} was never written`;
    return sha1(data) === stateSha1(s.blocks, s.blockSize, () => g) ? undefined : `generation ${g}, other bytes`;
  }
  const n = data.length / s.blockSize;
  if (!Number.isInteger(n) || n < s.blocks || n > (w.blocks ?? 0)) return `${data.length} bytes: not whole blocks`;
  return sha1(data) === stateSha1(n, s.blockSize, () => 0) ? undefined : `${n} blocks, other bytes (torn)`;
}

describe('a file changes while it is uploaded: the latest version on B2 is a complete state', () => {
  for (const s of shapes) {
    test(`${s.name}: ${s.mode} during ${s.via}`, { timeout: 120_000 }, async () => {
      const dir = join(fx.dir, 'changing', s.name);
      await mkdir(dir, { recursive: true });
      const path = join(dir, s.name);
      await writeBlocks(path, s.blocks, s.blockSize);
      const writer = startWriter(path, s.mode, s.blocks, s.blockSize, s.ms);
      await writer.started;
      const t0 = Date.now();
      const remote = s.via === 'put' ? `b2://${B}/changing/${s.name}` : `b2://${B}/changing/${s.name}.d/${s.name}`;
      const r =
        s.via === 'put'
          ? await fx.run(['put', path, remote])
          : await fx.run(['sync', dir, `b2://${B}/changing/${s.name}.d/`]);
      const ms = Date.now() - t0;
      const w = await writer.done;
      noStackTrace(r);
      const got = join(fx.dir, 'changing', `${s.name}.got`);
      const g = await fx.run(['get', remote, got]);
      if (r.code === 0) {
        expectCode(g, 0);
      } else {
        // Reported instead: named, as changing, and nothing torn stored.
        assert.match(r.stderr, new RegExp(s.name.replace(/\./g, '\\.')));
        assert.match(r.stderr, /chang|being written/);
      }
      if (g.code === 0) {
        const data = await readFile(got);
        const wrong = completeState(s, data, w);
        assert.equal(wrong, undefined, `B2's latest ${s.name} is not a state the file had: ${wrong}`);
        await rm(got);
      }
      figures[s.name] = `exit ${r.code} after ${ms} ms; writer ${JSON.stringify(w)}`;
    });
  }
});

describe('an unreadable file and an unreadable folder in a sync up', () => {
  test('each is reported, exit 4, the rest uploaded', async (t: TestContext) => {
    if (process.getuid?.() !== 0)
      return t.skip('needs root to run b2sync as another user (permission bits do not stop root)');
    const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
    const uid = Number(nobody.stdout.trim());
    if (nobody.status !== 0 || !Number.isInteger(uid)) return t.skip('no unprivileged user "nobody" here');
    if (spawnSync('setpriv', ['--version']).status !== 0) return t.skip('setpriv (util-linux) is not installed');
    const base = join(fx.dir, 'perm');
    const tree = join(base, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await mkdir(join(tree, 'locked'));
    const ok: Record<string, Buffer> = {
      'a.txt': randomBytes(500),
      'sub/b.txt': randomBytes(700),
      'z.txt': randomBytes(9),
    };
    for (const [n, d] of Object.entries(ok)) await writeFile(join(tree, n), d);
    await writeFile(join(tree, 'secret.txt'), 'not for nobody');
    await writeFile(join(tree, 'locked', 'inner.txt'), 'inside');
    await chmod(join(tree, 'secret.txt'), 0o000);
    await chmod(join(tree, 'locked'), 0o000);
    await chmod(fx.dir, 0o755);
    const home = join(base, 'home');
    await mkdir(join(home, 'config'), { recursive: true });
    for (const p of [base, home, join(home, 'config')]) await chown(p, uid, uid);
    const env = {
      ...baseEnv(home),
      B2SYNC_CONFIG_DIR: join(home, 'config'),
      B2SYNC_ENDPOINT: fx.emu.url,
      B2_APPLICATION_KEY_ID: fx.emu.keyId,
      B2_APPLICATION_KEY: fx.emu.applicationKey,
    };
    const wrap = ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const r = await runBin(['sync', tree, `b2://${B}/perm`], env, undefined, base, wrap);
    expectCode(r, 4);
    noStackTrace(r);
    const failed = lines(r).filter((l) => l.includes('failed: '));
    assert.ok(
      failed.some((l) => /secret\.txt/.test(l) && /permission denied/i.test(l)),
      r.stderr,
    );
    assert.ok(
      failed.some((l) => /locked/.test(l) && /permission denied/i.test(l)),
      r.stderr,
    );
    const ls = await fx.run(['ls', `b2://${B}/perm`]);
    const names = ls.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/).slice(1).join(' '));
    assert.deepEqual(names.sort(), Object.keys(ok).sort());
    const got = join(fx.dir, 'perm-got');
    expectCode(await fx.run(['sync', `b2://${B}/perm`, got]), 0);
    for (const [n, d] of Object.entries(ok)) assert.equal(await sha1File(join(got, n)), sha1(d), n);
    await chmod(join(tree, 'locked'), 0o755);
    figures.unreadable = failed.join(' | ');
    assert.deepEqual(await readdir(join(tree, 'locked')), ['inner.txt']);
  });
});
