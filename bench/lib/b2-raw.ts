/**
 * Plain B2 JSON calls (v4, fetch) against the emulator: the interop test reads the emulator's own view
 * of a bucket with it (without trusting rclone's listing), and the benchmark sets up uploads with it.
 * Deliberately independent of src/client.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

export interface RawFile {
  fileName: string;
  fileId: string;
  action: string;
  contentLength: number;
  contentSha1: string | null;
  fileInfo: Record<string, string>;
  uploadTimestamp: number;
}

export class RawB2 {
  private constructor(
    readonly apiUrl: string,
    readonly token: string,
    readonly accountId: string,
    readonly downloadUrl: string,
  ) {}

  static async authorize(url: string, keyId: string, key: string): Promise<RawB2> {
    const r = await fetch(`${url}/b2api/v4/b2_authorize_account`, {
      headers: { Authorization: 'Basic ' + Buffer.from(`${keyId}:${key}`).toString('base64') },
    });
    const body = (await r.json()) as any;
    assert.equal(r.status, 200, `authorize: ${JSON.stringify(body)}`);
    const api = body.apiInfo?.storageApi ?? body;
    return new RawB2(api.apiUrl, body.authorizationToken, body.accountId, api.downloadUrl);
  }

  async call(name: string, params: Record<string, unknown>): Promise<any> {
    const r = await fetch(`${this.apiUrl}/b2api/v4/${name}`, {
      method: 'POST',
      headers: { Authorization: this.token, 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
    });
    const body = (await r.json()) as any;
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(body)}`);
    return body;
  }

  async bucketId(bucketName: string): Promise<string> {
    const { buckets } = await this.call('b2_list_buckets', { accountId: this.accountId, bucketName });
    assert.equal(buckets.length, 1, `bucket ${bucketName} not found by the emulator`);
    return buckets[0].bucketId;
  }

  async bucketNames(): Promise<string[]> {
    const { buckets } = await this.call('b2_list_buckets', { accountId: this.accountId });
    return buckets.map((b: any) => b.bucketName).sort();
  }

  /** Every entry of b2_list_file_names (visible files), following nextFileName. */
  async fileNames(bucketName: string, prefix = ''): Promise<RawFile[]> {
    const bucketId = await this.bucketId(bucketName);
    const out: RawFile[] = [];
    let startFileName: string | undefined;
    for (;;) {
      const page = await this.call('b2_list_file_names', { bucketId, prefix, startFileName, maxFileCount: 1000 });
      out.push(...page.files);
      if (page.nextFileName == null) return out;
      startFileName = page.nextFileName;
    }
  }

  /** Every entry of b2_list_file_versions (uploads, hide markers, unfinished large files). */
  async fileVersions(bucketName: string, prefix = ''): Promise<RawFile[]> {
    const bucketId = await this.bucketId(bucketName);
    const out: RawFile[] = [];
    let startFileName: string | undefined;
    let startFileId: string | undefined;
    for (;;) {
      const page = await this.call('b2_list_file_versions', {
        bucketId,
        prefix,
        startFileName,
        startFileId,
        maxFileCount: 1000,
      });
      out.push(...page.files);
      if (page.nextFileName == null) return out;
      startFileName = page.nextFileName;
      startFileId = page.nextFileId ?? undefined;
    }
  }

  async unfinishedLargeFiles(bucketName: string): Promise<RawFile[]> {
    const bucketId = await this.bucketId(bucketName);
    const { files } = await this.call('b2_list_unfinished_large_files', { bucketId });
    return files;
  }

  /** Start a large file and upload nothing: leaves an unfinished large file behind. */
  async startLargeFile(bucketName: string, fileName: string): Promise<string> {
    const bucketId = await this.bucketId(bucketName);
    const r = await this.call('b2_start_large_file', { bucketId, fileName, contentType: 'application/octet-stream' });
    return r.fileId;
  }

  async cancelLargeFile(fileId: string): Promise<void> {
    await this.call('b2_cancel_large_file', { fileId });
  }

  async createBucket(bucketName: string): Promise<string> {
    const r = await this.call('b2_create_bucket', { accountId: this.accountId, bucketName, bucketType: 'allPrivate' });
    return r.bucketId;
  }

  async getUploadUrl(bucketId: string): Promise<{ uploadUrl: string; authorizationToken: string }> {
    return this.call('b2_get_upload_url', { bucketId });
  }

  /** Delete every version (and cancel every unfinished large file) in a bucket. */
  async emptyBucket(bucketName: string): Promise<void> {
    for (const f of await this.fileVersions(bucketName)) {
      await this.call('b2_delete_file_version', { fileId: f.fileId, fileName: f.fileName });
    }
  }

  /** By-name download URL of a file (path segments percent-encoded). */
  fileUrl(bucketName: string, fileName: string): string {
    return `${this.downloadUrl}/file/${bucketName}/${fileName.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Upload small files through `workers` upload URLs in parallel (a quick way to fill a bucket). */
  async uploadMany(bucketName: string, files: Array<[name: string, data: Buffer]>, workers = 4): Promise<void> {
    const bucketId = await this.bucketId(bucketName);
    let next = 0;
    const worker = async () => {
      const up = await this.getUploadUrl(bucketId);
      while (next < files.length) {
        const [name, data] = files[next++];
        const r = await fetch(up.uploadUrl, {
          method: 'POST',
          headers: {
            Authorization: up.authorizationToken,
            'X-Bz-File-Name': name.split('/').map(encodeURIComponent).join('/'),
            'Content-Type': 'text/plain',
            'X-Bz-Content-Sha1': createHash('sha1').update(data).digest('hex'),
          },
          body: data,
        });
        const body = await r.text();
        assert.equal(r.status, 200, `upload ${name}: ${body}`);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }
}
