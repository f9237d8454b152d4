/**
 * A scoped pass (bisync --watch) over the changed paths leaves the same result as a full pass: two
 * identical pairs get the same changes (create, modify, delete, rename of a file and of a folder, a
 * conflict, delete-vs-modify, remote changes); one runs a full pass, the other a scoped pass; their
 * state files, local trees and buckets must then match. Also: the safety stop counts against the whole
 * state, and a change outside the scope waits for a later pass. Against the emulator over HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { B2Client } from '../../../src/client/b2-client.js';
import { SafetyStopError } from '../../../src/sync/errors.js';
import {
  openBisync,
  type BisyncPair,
  type BisyncScope,
  type LocalEndpoint,
  type RemoteEndpoint,
} from '../../../src/sync/bisync/run-bisync.js';
import { readStateBatches } from '../../../src/sync/bisync/state-file.js';
import type { BisyncSummary } from '../../../src/sync/bisync/types.js';
import {
  cleanup,
  local,
  makeTree,
  newBucket,
  readBucket,
  readTree,
  remote,
  T0,
  tempDir,
  useEmulator,
} from '../fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

const NOW = T0 + 10_000_000;
const LATER = T0 + 5_000_000;

const START: Record<string, string> = {
  a: 'a',
  b: 'b',
  c: 'c-content',
  'd/1': 'd1-content',
  'd/2': 'd2-content',
  e: 'e',
  f: 'f',
  g: 'g',
  h: 'h',
  u1: 'u1',
  u2: 'u2',
  'z/deep/k': 'k',
};

interface World {
  root: string;
  state: string;
  bucketId: string;
  pair: BisyncPair;
}

async function world(tag: string, opts: { maxDelete?: { count: number } | { percent: number } } = {}): Promise<World> {
  const root = await makeTree(START);
  const state = await tempDir();
  const { bucketName, bucketId } = await newBucket(client, tag);
  const pair = await openBisync(local(root) as LocalEndpoint, remote(client, bucketName) as RemoteEndpoint, 'path1', {
    stateDir: state,
    now: NOW,
    ...opts,
  });
  await pair.pass();
  await pair.pass(); // fills in the fileIds and SHA-1s the uploads left unknown
  return { root, state, bucketId, pair };
}

async function put(w: World, name: string, content: string, mtimeMs: number): Promise<void> {
  const body = Buffer.from(content);
  await client.uploadFile({
    bucketId: w.bucketId,
    fileName: name,
    body,
    contentLength: body.length,
    info: { src_last_modified_millis: String(mtimeMs) },
  });
}

async function writeAt(w: World, path: string, content: string, mtimeMs: number): Promise<void> {
  const abs = join(w.root, ...path.split('/'));
  await mkdir(join(abs, '..'), { recursive: true });
  await writeFile(abs, content);
  await utimes(abs, new Date(mtimeMs), new Date(mtimeMs));
}

/** The same changes on either world; the paths they touched. */
async function change(w: World): Promise<string[]> {
  await writeAt(w, 'new.txt', 'new', LATER);
  await writeAt(w, 'nd/x', 'x', LATER);
  await writeAt(w, 'nd/y', 'y', LATER);
  await writeAt(w, 'a', 'a modified', LATER);
  await rm(join(w.root, 'b'));
  await rename(join(w.root, 'c'), join(w.root, 'c2'));
  await rename(join(w.root, 'd'), join(w.root, 'd2'));
  await writeAt(w, 'e', 'e local edit', LATER);
  await put(w, 'e', 'e remote edit!', LATER + 1000);
  await put(w, 'r-new', 'from b2', LATER);
  await put(w, 'f', 'f from b2', LATER);
  await client.hideFile(w.bucketId, 'g');
  await rm(join(w.root, 'h'));
  await put(w, 'h', 'h changed on b2', LATER);
  return ['new.txt', 'nd', 'a', 'b', 'c', 'c2', 'd', 'd2', 'e', 'r-new', 'f', 'g', 'h'];
}

/** The state file without what differs between two pairs (inodes, fileIds). */
async function stateOf(w: World): Promise<unknown[]> {
  const [key] = await readdir(w.state);
  const out: unknown[] = [];
  for await (const batch of readStateBatches(join(w.state, key!, 'state')))
    for (const r of batch)
      out.push({
        path: r.path,
        local: { size: r.local.size, mtimeMs: r.local.mtimeMs, sha1: r.local.sha1, ino: r.local.ino !== undefined },
        remote: {
          size: r.remote.size,
          mtimeMs: r.remote.mtimeMs,
          sha1: r.remote.sha1,
          id: r.remote.fileId !== undefined,
        },
      });
  return out;
}

const moved = (s: BisyncSummary) => ({
  up: s.uploaded.files,
  down: s.downloaded.files,
  renamed: s.renamed,
  deleted: s.deleted,
  conflicts: s.conflicts,
  errors: s.errors,
});

async function sameResult(full: World, scoped: World): Promise<void> {
  assert.deepEqual(await stateOf(scoped), await stateOf(full), 'the state files match');
  assert.deepEqual(await readTree(scoped.root), await readTree(full.root), 'the local trees match');
  assert.deepEqual(
    await readBucket(client, scoped.bucketId),
    await readBucket(client, full.bucketId),
    'the buckets match',
  );
}

for (const remoteListing of ['per-path', 'full', 'auto'] as const)
  test(`a scoped pass over the changed paths = a full pass (B2 listed ${remoteListing})`, async () => {
    const full = await world('scf');
    const scoped = await world('scs');
    try {
      await change(full);
      const paths = await change(scoped);
      const f = await full.pair.pass();
      const scope: BisyncScope = { paths, remoteListing };
      const s = await scoped.pair.pass(scope);
      assert.equal(s.scoped, paths.length);
      assert.deepEqual(moved(s), moved(f));
      assert.equal(f.renamed, 3, 'a file and a folder of two renamed');
      assert.equal(f.conflicts, 1);
      assert.ok(Object.keys(await readTree(full.root)).some((p) => p.startsWith('e.conflict-')));
      await sameResult(full, scoped);
      // and a full pass after each finds the same (the scoped one left nothing behind)
      const f2 = await full.pair.pass();
      const s2 = await scoped.pair.pass();
      assert.deepEqual(moved(s2), moved(f2));
      assert.equal(s2.uploaded.files + s2.downloaded.files + s2.renamed + s2.deleted.local + s2.deleted.remote, 0);
      await sameResult(full, scoped);
    } finally {
      await full.pair.close();
      await scoped.pair.close();
      await cleanup(full.root, full.state, scoped.root, scoped.state);
    }
  });

test('a scoped pass: a change outside the scope is left for a later pass; the state carries it over', async () => {
  const w = await world('scout');
  try {
    await writeAt(w, 'u1', 'u1 changed', LATER);
    await writeAt(w, 'u2', 'u2 changed', LATER);
    const s = await w.pair.pass({ paths: ['u1'] });
    assert.equal(s.uploaded.files, 1);
    assert.equal((await readBucket(client, w.bucketId)).u2, 'u2', 'u2 is out of scope');
    assert.equal((await stateOf(w)).length, Object.keys(START).length, 'every record carried over');
    const again = await w.pair.pass({ paths: ['z'] });
    assert.equal(again.uploaded.files, 0);
    const later = await w.pair.pass();
    assert.equal(later.uploaded.files, 1, 'the full pass finds u2');
    assert.equal((await readBucket(client, w.bucketId)).u2, 'u2 changed');
  } finally {
    await w.pair.close();
    await cleanup(w.root, w.state);
  }
});

test('a scoped pass: the safety stop and --max-delete count against the whole state, not the scope', async () => {
  const w = await world('scsafe', { maxDelete: { count: 2 } });
  const lenient = await world('scsafe2');
  try {
    for (const x of [w, lenient]) for (const p of ['a', 'b', 'e']) await rm(join(x.root, p));
    // 3 deletions > --max-delete 2: refused, though every path of the scope is a deletion
    await assert.rejects(w.pair.pass({ paths: ['a', 'b', 'e'] }), SafetyStopError);
    assert.equal((await readBucket(client, w.bucketId)).a, 'a', 'nothing was deleted');
    // 3 of 12 (default 50%): allowed, and the scope's side being "all gone" is no empty-side stop
    const s = await lenient.pair.pass({ paths: ['a', 'b', 'e'] });
    assert.equal(s.deleted.remote, 3);
    // a local folder gone entirely: a scoped pass turns into a full one, and the safety stop fires
    await rm(lenient.root, { recursive: true });
    await assert.rejects(lenient.pair.pass({ paths: ['u1'] }), /empty or missing/);
  } finally {
    await w.pair.close();
    await lenient.pair.close();
    await cleanup(w.root, w.state, lenient.root, lenient.state);
  }
});
