/**
 * One b2sync transfer for the benchmark, run as its own process (bundled by transfer-bench.ts) so
 * its peak RSS is its own. argv[2]: JSON {url, keyId, applicationKey, op: "upload"|"download",
 * bucketId, bucketName, fileName, localPath, tuning?}. Prints JSON {ms, bytes, maxRssKiB, sha1Verified?, fileId?}.
 */
import { B2Client } from '../src/client/b2-client.js';
import { downloadToFile, uploadLocalFile } from '../src/transfer/index.js';

const a = JSON.parse(process.argv[2]) as {
  url: string;
  keyId: string;
  applicationKey: string;
  op: 'upload' | 'download';
  bucketId: string;
  bucketName: string;
  fileName: string;
  localPath: string;
  tuning?: Record<string, number | boolean>;
};
const client = new B2Client({
  applicationKeyId: a.keyId,
  applicationKey: a.applicationKey,
  endpoint: a.url,
  tokenCache: { kind: 'memory' },
});
const t0 = performance.now();
let out: Record<string, unknown>;
if (a.op === 'upload') {
  const fv = await uploadLocalFile(client, {
    bucketId: a.bucketId,
    fileName: a.fileName,
    localPath: a.localPath,
    tuning: a.tuning,
  });
  out = { bytes: fv.contentLength, fileId: fv.fileId };
} else {
  const r = await downloadToFile(client, {
    source: { bucketName: a.bucketName, fileName: a.fileName },
    localPath: a.localPath,
    tuning: a.tuning,
  });
  out = { bytes: r.bytes, sha1Verified: r.sha1Verified, directIo: r.directIo };
}
const ms = performance.now() - t0;
await client.close();
process.stdout.write(JSON.stringify({ ms, ...out, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
