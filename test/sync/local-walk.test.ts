import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkLocal } from '../../src/sync/remotes/local.js';
import { localPathFor } from '../../src/sync/remotes/local-path.js';
import { compareUtf8 } from '../../src/wire/names.js';

async function tree(files: string[], dirs: string[] = []): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'b2sync-walk-'));
  for (const d of dirs) await mkdir(join(root, d), { recursive: true });
  for (const f of files) {
    await mkdir(join(root, f, '..'), { recursive: true });
    await writeFile(join(root, f), f);
  }
  return root;
}

async function paths(root: string, opts: Parameters<typeof walkLocal>[1] = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkLocal(root, opts)) out.push(e.path);
  return out;
}

test('local walk yields full-path UTF-8 byte order, not per-directory name order', async () => {
  const files = ['a-b', 'a/b', 'a/c/d', 'a0', 'a.txt', 'b', 'z\uFFFD', 'z😀', 'A', 'a b/x', 'é'];
  const root = await tree(files);
  try {
    const got = await paths(root);
    const want = [...files].sort(compareUtf8);
    assert.deepEqual(got, want);
    assert.deepEqual(got.slice(0, 3), ['A', 'a b/x', 'a-b']);
    assert.ok(got.indexOf('a-b') < got.indexOf('a/b') && got.indexOf('a/b') < got.indexOf('a0'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('local walk gives sizes, whole-ms mtimes and on-disk paths', async () => {
  const root = await tree(['d/file.txt']);
  try {
    const es = [];
    for await (const e of walkLocal(root)) es.push(e);
    assert.equal(es.length, 1);
    assert.equal(es[0].size, 'd/file.txt'.length);
    assert.ok(Number.isInteger(es[0].mtimeMs));
    assert.equal(es[0].localPath, join(root, 'd', 'file.txt'));
    assert.equal(typeof es[0].ino, 'number');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('NFD names on disk become NFC paths, sorted by their NFC form; the disk name is kept for I/O', async () => {
  const nfd = 'cafe\u0301.txt';
  const root = await tree([nfd, 'cafe.txt', 'cafz.txt']);
  try {
    const es = [];
    for await (const e of walkLocal(root)) es.push(e);
    assert.deepEqual(
      es.map((e) => e.path),
      ['cafe.txt', 'caf\u00e9.txt', 'cafz.txt'].sort(compareUtf8),
    );
    const cafe = es.find((e) => e.path === 'caf\u00e9.txt')!;
    assert.equal(cafe.localPath, join(root, nfd));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('two names with the same NFC form: the NFC one keeps it, the other its own bytes, both listed', async () => {
  const root = await tree(['cafe\u0301', 'caf\u00e9', 'd/cafe\u0301/x', 'd/caf\u00e9/y']);
  try {
    const warnings: string[] = [];
    const es = [];
    for await (const e of walkLocal(root, { onWarning: (item, m) => warnings.push(`${item}: ${m}`) })) es.push(e);
    const want = ['caf\u00e9', 'cafe\u0301', 'd/caf\u00e9/y', 'd/cafe\u0301/x'].sort(compareUtf8);
    assert.deepEqual(
      es.map((e) => e.path),
      want,
    );
    for (const e of es) assert.equal(e.localPath, join(root, ...e.path.split('/')), 'each B2 name is its disk name');
    assert.deepEqual(warnings, []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('symlinks are skipped with a warning unless copyLinks; loops are cut', async () => {
  const root = await tree(['real/f.txt', 'g.txt']);
  try {
    await symlink(join(root, 'real'), join(root, 'link'));
    await symlink(join(root, 'g.txt'), join(root, 'h.txt'));
    await symlink(root, join(root, 'real', 'loop'));
    const warnings: string[] = [];
    assert.deepEqual(await paths(root, { onWarning: (i, m) => warnings.push(`${i}: ${m}`) }), ['g.txt', 'real/f.txt']);
    assert.equal(warnings.filter((w) => /symlink skipped/.test(w)).length, 3);
    const w2: string[] = [];
    const followed = await paths(root, { copyLinks: true, onWarning: (i, m) => w2.push(`${i}: ${m}`) });
    assert.deepEqual(
      followed,
      ['g.txt', 'h.txt', 'link/f.txt', 'real/f.txt'],
      'link/loop and real/loop point at an ancestor',
    );
    assert.ok(w2.some((w) => /loop/.test(w)));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('empty directories yield .bzEmpty markers only when asked; a missing root yields nothing', async () => {
  const root = await tree(['a/x'], ['e1', 'a/e2', 'a/e2/../e3']);
  try {
    assert.deepEqual(await paths(root), ['a/x']);
    assert.deepEqual(await paths(root, { emptyDirMarkers: true }), [
      'a/e2/.bzEmpty',
      'a/e3/.bzEmpty',
      'a/x',
      'e1/.bzEmpty',
    ]);
    assert.deepEqual(await paths(join(root, 'nope')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('temporary download files are not listed', async () => {
  const root = await tree(['a.txt', 'b.txt.b2sync-tmp']);
  try {
    assert.deepEqual(await paths(root), ['a.txt']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('localPathFor refuses names that would escape or be ambiguous on disk', () => {
  assert.ok('path' in localPathFor('/r', 'a/b c/d'));
  assert.ok('problem' in localPathFor('/r', '../x'));
  assert.ok('problem' in localPathFor('/r', 'a//b'));
  assert.ok('problem' in localPathFor('/r', 'a/./b'));
  assert.ok('problem' in localPathFor('/r', 'dir/'));
});

test('an unreadable directory is reported and gets no empty-directory marker', async (t) => {
  const root = await tree(['a.txt']);
  // Deeper than PATH_MAX: listed by its parent, but cannot be opened itself (ENAMETOOLONG), even for root.
  const { spawnSync } = await import('node:child_process');
  const mk = spawnSync('bash', [
    '-c',
    `cd "${root}" && mkdir deep && cd deep && for i in $(seq 18); do d=$(printf 'x%.0s' $(seq 240))$i; mkdir "$d" && cd "$d" || exit 1; done`,
  ]);
  try {
    if (mk.status !== 0) return t.skip(`cannot build a tree deeper than PATH_MAX here: ${mk.stderr}`);
    const errors: string[] = [];
    const got = await paths(root, { emptyDirMarkers: true, onError: (item, m) => errors.push(`${item}: ${m}`) });
    assert.deepEqual(got, ['a.txt']);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /cannot read directory: .*ENAMETOOLONG/);
  } finally {
    spawnSync('rm', ['-rf', root]);
  }
});

test('the walk runs ahead of a slow consumer, stops when the consumer stops, and an abort ends it', async () => {
  // 3 folders of 400 files: more than one stat batch per folder, so the producer takes several turns.
  const files: string[] = [];
  for (let d = 0; d < 3; d++) for (let i = 0; i < 400; i++) files.push(`d${d}/f${String(i).padStart(4, '0')}`);
  const root = await tree(files);
  try {
    // A consumer that waits between entries still gets every file, once, in order.
    const slow: string[] = [];
    for await (const e of walkLocal(root)) {
      slow.push(e.path);
      if (slow.length % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.deepEqual(slow, [...files].sort(compareUtf8));
    // Breaking out early ends the walk (the generator's finally waits for the producer to stop).
    let n = 0;
    for await (const _ of walkLocal(root)) if (++n === 10) break;
    assert.equal(n, 10);
    // An abort mid-walk rejects the iteration with the signal's reason.
    const ac = new AbortController();
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const e of walkLocal(root, { signal: ac.signal })) {
        seen.push(e.path);
        if (seen.length === 5) ac.abort(new Error('stop here'));
      }
    }, /stop here/);
    assert.equal(seen.length, 5, 'nothing is yielded after the abort');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('local walk: a name that is not UTF-8 is reported by its bytes, its neighbours (one holding a real U+FFFD) walked', async () => {
  const root = await tree(['d/a.txt', 'd/z\uFFFD.txt', 'e/b.txt']);
  try {
    // 'bad\xff.txt' as raw bytes: readdir's UTF-8 decoding turns the 0xff into U+FFFD.
    const dir = Buffer.from(join(root, 'd'));
    await writeFile(Buffer.concat([dir, Buffer.from('/bad'), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
    const bad: string[] = [];
    const got = await paths(root, { onBadName: (item) => bad.push(item) });
    assert.deepEqual(got, ['d/a.txt', 'd/z\uFFFD.txt', 'e/b.txt']);
    assert.deepEqual(bad, ['d/bad\uDCFF.txt']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
