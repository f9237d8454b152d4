/**
 * A no-op bisync writes nothing to the pair's state dir: no plan, and the state file kept as it was
 * (same inode, same bytes). The first change after unchanged paths (in the march, or only after it:
 * a new name waiting for rename pairing) still commits every record. Against the emulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { B2Client } from '../../../src/client/b2-client.js';
import { runBisync, type LocalEndpoint, type RemoteEndpoint } from '../../../src/sync/bisync/run-bisync.js';
import { readStateBatches } from '../../../src/sync/bisync/state-file.js';
import { cleanup, local, makeTree, newBucket, remote, tempDir, useEmulator } from '../fixture.js';

let client: B2Client;
useEmulator((_e, c) => (client = c));

async function paths(stateFile: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readStateBatches(stateFile)) for (const r of batch) out.push(r.path);
  return out;
}

test('a no-op run leaves the state dir untouched; the first change after unchanged paths commits every record', async () => {
  const root = await makeTree({ a: 'a', b: 'b', 'd/c': 'c', 'd/e': 'e', f: 'f' });
  const state = await tempDir();
  const { bucketName } = await newBucket(client, 'bnoop');
  const bisync = () =>
    runBisync(local(root) as LocalEndpoint, remote(client, bucketName) as RemoteEndpoint, 'path1', {
      stateDir: state,
    });
  try {
    await bisync();
    await bisync(); // fills in the fileIds and SHA-1s the uploads left unknown
    const [key] = await readdir(state);
    const dir = join(state, key!);
    const file = join(dir, 'state');
    const before = { st: await stat(file), bytes: await readFile(file, 'utf8') };

    const noop = await bisync();
    assert.equal(noop.unchanged, 5);
    const after = await stat(file);
    assert.equal(after.ino, before.st.ino, 'the state file is not replaced');
    assert.equal(await readFile(file, 'utf8'), before.bytes);
    assert.deepEqual((await readdir(dir)).sort(), ['pair.json', 'state'], 'no plan or journal written');

    const later = new Date(Date.now() + 5000);
    await writeFile(join(root, 'd/e'), 'e edited');
    await utimes(join(root, 'd/e'), later, later);
    const changed = await bisync();
    assert.equal(changed.uploaded.files, 1);
    assert.deepEqual(await paths(file), ['a', 'b', 'd/c', 'd/e', 'f'], 'the records before the change are kept');

    await rename(join(root, 'f'), join(root, 'g'));
    await writeFile(join(root, 'new'), 'n');
    const late = await bisync();
    assert.equal(late.renamed, 1);
    assert.equal(late.uploaded.files, 1);
    assert.deepEqual(await paths(file), ['a', 'b', 'd/c', 'd/e', 'g', 'new']);

    await writeFile(join(root, 'z-only-new'), 'z');
    const onlyLate = await bisync();
    assert.equal(onlyLate.uploaded.files, 1, 'a new name (planned after the march) alone');
    assert.deepEqual(await paths(file), ['a', 'b', 'd/c', 'd/e', 'g', 'new', 'z-only-new']);
    const last = await bisync();
    assert.equal(last.unchanged, 7);
  } finally {
    await cleanup(root, state);
  }
});
