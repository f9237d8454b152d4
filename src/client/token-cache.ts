/**
 * Where the account token lives between runs: in memory, or a 0600 file in a directory, keyed by a hash
 * of endpoint + key id. The application key itself is never written; only a salted fingerprint of it, so
 * a changed key for the same key id does not reuse the old token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccountInfo } from './api.js';

export interface CachedToken {
  authorizationToken: string;
  account: AccountInfo;
}

export interface TokenStore {
  load(): Promise<CachedToken | undefined>;
  save(token: CachedToken): Promise<void>;
  clear(): Promise<void>;
}

export class MemoryTokenStore implements TokenStore {
  private token: CachedToken | undefined;
  async load(): Promise<CachedToken | undefined> {
    return this.token;
  }
  async save(token: CachedToken): Promise<void> {
    this.token = token;
  }
  async clear(): Promise<void> {
    this.token = undefined;
  }
}

/** The cache file name for an endpoint and key id (no secret in it). */
export function tokenCacheFileName(endpoint: string, keyId: string): string {
  const h = createHash('sha256').update(`${endpoint}\n${keyId}`).digest('hex').slice(0, 32);
  return `b2-token-${h}.json`;
}

function keyFingerprint(endpoint: string, keyId: string, key: string): string {
  return createHash('sha256').update(`b2sync token cache\n${endpoint}\n${keyId}\n${key}`).digest('hex');
}

interface FileRecord {
  version: 1;
  endpoint: string;
  keyFingerprint: string;
  authorizationToken: string;
  account: AccountInfo;
}

export class FileTokenStore implements TokenStore {
  readonly path: string;
  private readonly fingerprint: string;

  constructor(
    readonly dir: string,
    private readonly endpoint: string,
    keyId: string,
    key: string,
  ) {
    this.path = join(dir, tokenCacheFileName(endpoint, keyId));
    this.fingerprint = keyFingerprint(endpoint, keyId, key);
  }

  async load(): Promise<CachedToken | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const rec = JSON.parse(text) as FileRecord;
      if (rec.version !== 1 || rec.endpoint !== this.endpoint || rec.keyFingerprint !== this.fingerprint)
        return undefined;
      if (typeof rec.authorizationToken !== 'string' || !rec.account || typeof rec.account.apiUrl !== 'string')
        return undefined;
      return { authorizationToken: rec.authorizationToken, account: rec.account };
    } catch {
      return undefined; // a torn or foreign file is simply ignored
    }
  }

  /** Written to a temporary file (mode 0600) and renamed into place. */
  async save(token: CachedToken): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const rec: FileRecord = {
      version: 1,
      endpoint: this.endpoint,
      keyFingerprint: this.fingerprint,
      authorizationToken: token.authorizationToken,
      account: token.account,
    };
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(rec));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await chmod(tmp, 0o600); // in case a umask widened it
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
