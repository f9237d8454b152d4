/**
 * The two halves of a no-op re-sync alone, from a b2sync build (for bench/resync-loop.ts --parts):
 *   node bench/lib/resync-parts.mjs BUILD list BUCKET PREFIX   (env: B2SYNC_ENDPOINT, B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY)
 *   node bench/lib/resync-parts.mjs BUILD walk DIR
 * list: every name under the prefix through B2Client.listFileNameBatches (lean, as the sync reads it);
 * walk: the sync's local walk (walkLocalBatches). Prints the count.
 */
const [build, what, a, b] = process.argv.slice(2);
let n = 0;
if (what === 'list') {
  const { B2Client } = await import(`${build}/dist/client/b2-client.js`);
  const c = new B2Client({
    applicationKeyId: process.env.B2_APPLICATION_KEY_ID,
    applicationKey: process.env.B2_APPLICATION_KEY,
    endpoint: process.env.B2SYNC_ENDPOINT,
  });
  const bucket = await c.getBucket(a);
  const opts = { prefix: b, pageSize: 10_000 };
  if (c.listFileNameBatches) for await (const batch of c.listFileNameBatches(bucket.bucketId, opts)) n += batch.length;
  else for await (const _ of c.listFileNames(bucket.bucketId, opts)) n++;
  await c.close();
} else {
  const m = await import(`${build}/dist/sync/remotes/local.js`);
  if (m.walkLocalBatches) for await (const batch of m.walkLocalBatches(a)) n += batch.length;
  else for await (const _ of m.walkLocal(a)) n++;
}
console.log(n);
