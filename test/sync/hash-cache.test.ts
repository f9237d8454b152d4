import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHasher, sha1File } from '../../src/sync/hash-cache.js';
import { walkLocal } from '../../src/sync/remotes/local.js';
import { sha1Hex } from '../../src/core/sha1.js';

async function hashAll(root: string, cache: string) {
  const h = new LocalHasher(root, cache);
  await h.open();
  const out: Record<string, string> = {};
  for await (const e of walkLocal(root)) {
    const hex = await h.sha1(e);
    h.record(e, hex);
    out[e.path] = hex;
  }
  await h.close(true);
  return { h, out };
}

test('sha1File streams a file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'b2sync-h-'));
  try {
    await writeFile(join(dir, 'f'), 'hello');
    assert.equal(await sha1File(join(dir, 'f')), sha1Hex('hello'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hash cache: a second run reads no unchanged file; a changed file is hashed again', async () => {
  const root = await mkdtemp(join(tmpdir(), 'b2sync-h-'));
  const cache = await mkdtemp(join(tmpdir(), 'b2sync-hc-'));
  try {
    for (const n of ['a', 'b', 'c/d', 'c-e']) {
      await import('node:fs/promises').then((fs) => fs.mkdir(join(root, n, '..'), { recursive: true }));
      await writeFile(join(root, n), `content of ${n}`);
    }
    const r1 = await hashAll(root, cache);
    assert.equal(r1.h.hashed, 4);
    assert.equal(r1.h.hits, 0);
    assert.equal(r1.out['c/d'], sha1Hex('content of c/d'));
    const files = await readdir(cache);
    assert.equal(files.length, 1, 'one cache file per root, no temp left behind');
    assert.equal((await readFile(join(cache, files[0]), 'utf8')).trim().split('\n').length, 4);

    const r2 = await hashAll(root, cache);
    assert.equal(r2.h.hashed, 0);
    assert.equal(r2.h.hits, 4);
    assert.deepEqual(r2.out, r1.out);

    await writeFile(join(root, 'b'), 'changed!');
    await utimes(join(root, 'b'), new Date(5_000_000), new Date(5_000_000));
    const r3 = await hashAll(root, cache);
    assert.equal(r3.h.hashed, 1);
    assert.equal(r3.h.hits, 3);
    assert.equal(r3.out['b'], sha1Hex('changed!'));
  } finally {
    await rm(root, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  }
});
