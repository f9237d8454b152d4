/**
 * A bare B2 client over fetch for the load scenario (API v2, no retries, no b2sync code): each call
 * returns its status, and a 5xx is counted, so the test can tell the emulator never failed.
 */
import { createHash } from 'node:crypto';

export interface RawStats {
  calls: number;
  status5xx: { call: string; status: number; body: string }[];
}

export class RawB2 {
  private apiUrl = '';
  private downloadUrl = '';
  private token = '';
  accountId = '';
  private upload?: { uploadUrl: string; authorizationToken: string };

  constructor(
    private readonly realm: string,
    private readonly stats: RawStats,
  ) {}

  async authorize(keyId: string, key: string): Promise<void> {
    const r = await this.fetch('b2_authorize_account', `${this.realm}/b2api/v2/b2_authorize_account`, {
      headers: { authorization: `Basic ${Buffer.from(`${keyId}:${key}`).toString('base64')}` },
    });
    const j = (await r.json()) as {
      apiUrl: string;
      downloadUrl: string;
      authorizationToken: string;
      accountId: string;
    };
    Object.assign(this, {
      apiUrl: j.apiUrl,
      downloadUrl: j.downloadUrl,
      token: j.authorizationToken,
      accountId: j.accountId,
    });
  }

  private async fetch(call: string, url: string, init: RequestInit): Promise<Response> {
    this.stats.calls++;
    const r = await fetch(url, init);
    if (r.status >= 500) this.stats.status5xx.push({ call, status: r.status, body: await r.text() });
    if (!r.ok) throw new Error(`${call}: HTTP ${r.status}`);
    return r;
  }

  async api<T>(call: string, body: unknown): Promise<T> {
    const r = await this.fetch(call, `${this.apiUrl}/b2api/v2/${call}`, {
      method: 'POST',
      headers: { authorization: this.token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await r.json()) as T;
  }

  /** b2_upload_file (taking an upload URL first when this client has none); returns the fileId. */
  async uploadFile(bucketId: string, name: string, data: Buffer): Promise<string> {
    this.upload ??= await this.api('b2_get_upload_url', { bucketId });
    const sha1 = createHash('sha1').update(data).digest('hex');
    try {
      const r = await this.fetch('b2_upload_file', this.upload.uploadUrl, {
        method: 'POST',
        headers: {
          authorization: this.upload.authorizationToken,
          'x-bz-file-name': encodeURIComponent(name).replace(/%2F/g, '/'),
          'content-type': 'b2/x-auto',
          'x-bz-content-sha1': sha1,
        },
        body: data,
      });
      return ((await r.json()) as { fileId: string }).fileId;
    } catch (err) {
      this.upload = undefined;
      throw err;
    }
  }

  async download(bucketName: string, name: string): Promise<Buffer> {
    const url = `${this.downloadUrl}/file/${bucketName}/${encodeURIComponent(name).replace(/%2F/g, '/')}`;
    const r = await this.fetch('b2_download_file_by_name', url, { headers: { authorization: this.token } });
    return Buffer.from(await r.arrayBuffer());
  }

  /** Every file name (and its SHA-1) under a prefix, all pages. */
  async listAll(bucketId: string, prefix: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let startFileName: string | null = null;
    do {
      const page: { files: { fileName: string; contentSha1: string }[]; nextFileName: string | null } = await this.api(
        'b2_list_file_names',
        { bucketId, prefix, startFileName, maxFileCount: 1000 },
      );
      for (const f of page.files) out.set(f.fileName, f.contentSha1);
      startFileName = page.nextFileName;
    } while (startFileName);
    return out;
  }
}
