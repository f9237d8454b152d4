/** Tokens the emulator issues: account, upload (bucket or large file) and download-authorization tokens. */
import { newToken } from './ids.js';

export interface AccountToken {
  kind: 'account';
  keyId: string;
  expiresAt: number;
}

export interface UploadToken {
  kind: 'upload';
  keyId: string;
  expiresAt: number;
  /** bucketId (b2_upload_file) or large fileId (b2_upload_part). */
  target: string;
  part: boolean;
  /** The opaque last path segment of the upload URL this token belongs to. */
  opaque: string;
  inFlight: boolean;
}

export interface DownloadToken {
  kind: 'download';
  keyId: string;
  expiresAt: number;
  bucketId: string;
  prefix: string;
  /** b2Content* overrides the token was minted with; downloads must repeat them. */
  pins: Record<string, string>;
}

export type Token = AccountToken | UploadToken | DownloadToken;

const DAY_MS = 24 * 60 * 60 * 1000;

export class TokenTable {
  private readonly tokens = new Map<string, Token>();
  private issuedSinceSweep = 0;

  issue<T extends Token>(accountId: string, t: T): string {
    const token = newToken(t.kind === 'account' ? 'acct' : t.kind === 'upload' ? 'upld' : 'dnld', accountId);
    this.tokens.set(token, t);
    if (++this.issuedSinceSweep > 10_000) this.sweep();
    return token;
  }

  get(token: string): Token | undefined {
    return this.tokens.get(token);
  }

  /** Every token issued so far now answers expired_auth_token. */
  expireAll(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  /** Expire the tokens of one key (e.g. when the key is deleted they become unknown instead). */
  revokeKey(keyId: string): void {
    for (const [k, t] of this.tokens) if (t.keyId === keyId) this.tokens.delete(k);
  }

  clear(): void {
    this.tokens.clear();
  }

  /** Forget tokens that expired over a day ago (they would answer bad_auth_token instead of expired). */
  private sweep(): void {
    this.issuedSinceSweep = 0;
    const cutoff = Date.now() - DAY_MS;
    for (const [k, t] of this.tokens) if (t.expiresAt < cutoff && t.expiresAt !== 0) this.tokens.delete(k);
  }
}
