/** Helpers for the emulator's own tests (beside spec-helpers.ts): fast bulk uploads over undici. */
import { request } from 'undici';
import { b2Encode, getUploadUrl, sha1, type Session } from './spec-helpers.js';

/**
 * Upload many small files with `workers` upload URLs, one per worker (an upload token takes one upload
 * at a time). Uses undici.request, which is several times cheaper per call than fetch.
 */
export async function bulkUpload(
  s: Session,
  bucketId: string,
  files: { name: string; body: string | Buffer }[],
  workers = 8,
): Promise<{ fileId: string; fileName: string }[]> {
  const out: { fileId: string; fileName: string }[] = new Array(files.length);
  const targets = await Promise.all(Array.from({ length: workers }, () => getUploadUrl(s, bucketId)));
  await Promise.all(
    targets.map(async (t, w) => {
      for (let i = w; i < files.length; i += workers) {
        const { name, body } = files[i];
        const r = await request(t.uploadUrl, {
          method: 'POST',
          headers: {
            authorization: t.authorizationToken,
            'x-bz-file-name': b2Encode(name),
            'content-type': 'b2/x-auto',
            'x-bz-content-sha1': sha1(body),
          },
          body,
        });
        const text = await r.body.text();
        if (r.statusCode !== 200) throw new Error(`upload ${name}: ${r.statusCode} ${text}`);
        out[i] = JSON.parse(text);
      }
    }),
  );
  return out;
}
