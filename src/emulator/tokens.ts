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
/**
 * At most this many tokens are kept (~485 bytes each, so ~50 MB): a client that authorizes per operation
 * under sustained load would otherwise grow the table for a day. Past the cap the oldest tokens go first,
 * expired ones before live ones; a forgotten token answers bad_auth_token and clients re-authorize.
 */
export const MAX_TOKENS = 100_000;

export class TokenTable {
  private readonly tokens = new Map<string, Token>();
  private issuedSinceSweep = 0;

  issue<T extends Token>(accountId: string, t: T): string {
    const token = newToken(t.kind === 'account' ? 'acct' : t.kind === 'upload' ? 'upld' : 'dnld', accountId);
    this.tokens.set(token, t);
    if (++this.issuedSinceSweep > 10_000) this.sweep();
    return token;
  }

  get size(): number {
    return this.tokens.size;
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

  /**
   * Forget tokens that expired over a day ago (they would answer bad_auth_token instead of expired); past
   * MAX_TOKENS, also the oldest expired ones (force-expired included), then the oldest idle live ones.
   */
  private sweep(): void {
    this.issuedSinceSweep = 0;
    const now = Date.now();
    const cutoff = now - DAY_MS;
    for (const [k, t] of this.tokens) if (t.expiresAt < cutoff && t.expiresAt !== 0) this.tokens.delete(k);
    const target = Math.floor(MAX_TOKENS * 0.9);
    this.dropOldest(target, (t) => t.expiresAt <= now);
    this.dropOldest(target, (t) => !(t.kind === 'upload' && t.inFlight));
  }

  /** Deletes tokens matching `which` in issue order (a Map iterates in insertion order) down to `target`. */
  private dropOldest(target: number, which: (t: Token) => boolean): void {
    if (this.tokens.size <= MAX_TOKENS) return;
    for (const [k, t] of this.tokens) {
      if (this.tokens.size <= target) return;
      if (which(t)) this.tokens.delete(k);
    }
  }
}
