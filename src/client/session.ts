/**
 * The account session: authorize (retrying transient failures; a 401 is final), keep the token in its
 * store, reuse it until near its 24 h expiry, and coalesce concurrent re-authorizations into one.
 */
import { LIMITS } from '../core/limits.js';
import type { AccountInfo } from './api.js';
import { parseAuthorize } from './account-info.js';
import { b2RetryAfter, retrying, transientVerdict, type ResolvedRetry } from './retry.js';
import type { TokenStore } from './token-cache.js';
import type { Transport } from './transport.js';

export interface AuthState {
  token: string;
  account: AccountInfo;
}

/** A cached token is reused until this long before its 24 h lifetime ends. */
export const TOKEN_REFRESH_MARGIN_MS = 60 * 60 * 1000;

export interface SessionOptions {
  endpoint: string;
  keyId: string;
  key: string;
  retry: ResolvedRetry;
  /** Token lifetime assumed for reuse decisions; default 24 h. */
  tokenTtlMs?: number;
}

export class Session {
  private current: AuthState | undefined;
  private pending: Promise<AuthState> | undefined;
  /** Number of b2_authorize_account exchanges that succeeded (for tests and -v). */
  authorizations = 0;

  constructor(
    private readonly transport: Transport,
    private readonly store: TokenStore,
    private readonly opts: SessionOptions,
  ) {}

  get token(): string | undefined {
    return this.current?.token;
  }

  private fresh(state: { account: AccountInfo }, now = Date.now()): boolean {
    const ttl = this.opts.tokenTtlMs ?? LIMITS.tokenTtlSeconds * 1000;
    const age = now - state.account.authorizedAt;
    return age >= 0 && age < ttl - Math.min(TOKEN_REFRESH_MARGIN_MS, ttl / 4);
  }

  /** The current token: in memory, else from the store if still fresh, else a new authorization. */
  async get(signal?: AbortSignal): Promise<AuthState> {
    if (this.current && this.fresh(this.current)) return this.current;
    if (this.pending) return this.pending;
    return this.run(async () => {
      const cached = await this.store.load();
      if (cached && this.fresh(cached)) return { token: cached.authorizationToken, account: cached.account };
      return this.authorize(signal);
    });
  }

  /**
   * Replace a token the server rejected. When another caller already replaced it, that result is
   * shared; concurrent callers wait on one authorization.
   */
  async refresh(staleToken: string | undefined, signal?: AbortSignal): Promise<AuthState> {
    if (this.pending) return this.pending;
    if (this.current && staleToken !== undefined && this.current.token !== staleToken) return this.current;
    return this.run(() => this.authorize(signal));
  }

  /** Forget the token (memory and store). */
  async clear(): Promise<void> {
    this.current = undefined;
    await this.store.clear();
  }

  private run(fn: () => Promise<AuthState>): Promise<AuthState> {
    const p = fn().then(
      (s) => {
        this.current = s;
        this.pending = undefined;
        return s;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    this.pending = p;
    return p;
  }

  /** One b2_authorize_account, retried on transient failures only (a 401 is never retryable); saved to the store. */
  private authorize(signal?: AbortSignal): Promise<AuthState> {
    const basic = Buffer.from(`${this.opts.keyId}:${this.opts.key}`, 'utf8').toString('base64');
    const url = `${this.opts.endpoint.replace(/\/+$/, '')}/b2api/v4/b2_authorize_account`;
    return retrying(
      async (attempt) => {
        const at = Date.now();
        const body = await this.transport.json<unknown>({
          call: 'b2_authorize_account',
          method: 'GET',
          url,
          headers: { authorization: `Basic ${basic}` },
          signal,
          attempt,
        });
        const { token, account } = parseAuthorize(body, at);
        this.authorizations++;
        try {
          await this.store.save({ authorizationToken: token, account });
        } catch {
          /* an unwritable cache only costs a re-authorization next run */
        }
        return { token, account };
      },
      { signal, policy: this.opts.retry, classify: transientVerdict, retryAfter: b2RetryAfter },
    );
  }
}
