/**
 * Uploads one local file in its own process, printing a line per progress report with parts done,
 * so a test can kill it mid-upload. argv[2]: JSON {url, keyId, applicationKey, bucketId, fileName, localPath, tuning}.
 */
import { B2Client } from '../../src/client/b2-client.js';
import { uploadLocalFile } from '../../src/transfer/index.js';

const a = JSON.parse(process.argv[2]);
const client = new B2Client({ applicationKeyId: a.keyId, applicationKey: a.applicationKey, endpoint: a.url });
let last = -1;
await uploadLocalFile(client, {
  bucketId: a.bucketId,
  fileName: a.fileName,
  localPath: a.localPath,
  tuning: a.tuning,
  onProgress: (p) => {
    if (p.partsDone !== undefined && p.partsDone !== last) {
      last = p.partsDone;
      process.stdout.write(`${p.partsDone}\n`);
    }
  },
});
process.stdout.write('done\n');
await client.close();
