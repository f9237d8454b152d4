/**
 * The client's core, shared by every group of calls (buckets, uploads, listings, downloads, keys):
 * the options, the transport, the session (cached token, re-authorize once), the retry policy, the
 * upload-URL pools and the authorized JSON call. B2Client (b2-client.ts) is built on it.
 */
import { abortReason, anySignal } from '../core/abort.js';
import { B2Error, UsageError } from '../core/errors.js';
import type { Bucket } from '../wire/types.js';
import { DEFAULT_REALM, type ClientOptions } from './api.js';
import { b2RetryAfter, resolveRetry, retrying, transientVerdict, type ResolvedRetry } from './retry.js';
import { Session, type AuthState } from './session.js';
import { FileTokenStore, MemoryTokenStore, type TokenStore } from './token-cache.js';
import { Transport, type HttpRequest } from './transport.js';
import { UploadUrlPool } from './upload-url-pool.js';
import { DEFAULT_USER_AGENT } from './version.js';

export const API = 'b2api/v4';

export interface CallState {
  /** Set when an attempt failed transiently and the call was sent again. */
  retried: boolean;
}

export class ClientCore {
  readonly options: Readonly<ClientOptions>;
  readonly transport: Transport;
  readonly session: Session;
  readonly retry: ResolvedRetry;
  readonly uploadUrls = new UploadUrlPool();
  readonly partUrls = new UploadUrlPool();
  /** Buckets found by name during this client's life: a CLI run and the engine under it ask once. */
  readonly bucketsByName = new Map<string, Bucket>();
  private readonly issuedUploadTokens: string[] = [];
  private closed = false;

  constructor(options: ClientOptions) {
    if (!options.applicationKeyId || !options.applicationKey)
      throw new UsageError('an application key id and key are needed');
    this.options = Object.freeze({ ...options });
    this.retry = resolveRetry(options.retry);
    const endpoint = (options.endpoint ?? DEFAULT_REALM).replace(/\/+$/, '');
    this.transport = new Transport({
      maxConnections: options.maxConnections ?? 32,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      onCall: options.onCall,
      secrets: () => [options.applicationKey, this.session?.token, ...this.issuedUploadTokens],
    });
    const cache = options.tokenCache ?? { kind: 'memory' };
    const store: TokenStore =
      cache.kind === 'file'
        ? new FileTokenStore(cache.dir, endpoint, options.applicationKeyId, options.applicationKey)
        : new MemoryTokenStore();
    this.session = new Session(this.transport, store, {
      endpoint,
      keyId: options.applicationKeyId,
      key: options.applicationKey,
      retry: this.retry,
    });
  }

  signal(extra?: AbortSignal): AbortSignal | undefined {
    if (this.closed) throw new UsageError('the B2 client is closed');
    return anySignal(this.options.signal, extra);
  }

  /**
   * Run fn with the account token: re-authorize on 401 expired/bad token (surfacing the original error
   * when that fails), the first time for free and again, against the retry budget, if the new token
   * expires too before the call gets through; retry transient failures with backoff, honouring Retry-After.
   * A failed authorization is final here: Session.authorize retried it already.
   */
  withAuth<T>(
    signal: AbortSignal | undefined,
    fn: (auth: AuthState, attempt: number, sig: AbortSignal | undefined) => Promise<T>,
    state?: CallState,
  ): Promise<T> {
    const sig = this.signal(signal);
    let reauthorized = false;
    let auth: AuthState | undefined;
    return retrying(
      async (attempt) => {
        auth = undefined;
        const current = await this.session.get(sig);
        auth = current;
        return fn(current, attempt, sig);
      },
      {
        signal: sig,
        policy: this.retry,
        retryAfter: b2RetryAfter,
        onRetry: () => {
          if (state) state.retried = true;
        },
        classify: async (err) => {
          if (!auth || !(err instanceof B2Error)) return 'fail';
          if (!err.reauthorize) return transientVerdict(err);
          try {
            await this.refreshSession(auth.token, sig);
          } catch {
            if (sig?.aborted) throw abortReason(sig);
            throw err;
          }
          if (reauthorized) return 'retry-now';
          reauthorized = true;
          return 'again';
        },
      },
    );
  }

  private async refreshSession(staleToken: string, sig: AbortSignal | undefined): Promise<void> {
    const before = this.session.token;
    await this.session.refresh(staleToken, sig);
    if (this.session.token !== before) {
      // URLs obtained with the old token may be expired as well.
      this.uploadUrls.clear();
      this.partUrls.clear();
    }
  }

  /** The POST of a JSON call to {apiUrl}/b2api/v4/{call}. */
  jsonRequest(call: string, text: string, auth: AuthState, attempt: number, sig: AbortSignal | undefined): HttpRequest {
    return {
      call,
      method: 'POST',
      url: `${auth.account.apiUrl}/${API}/${call}`,
      headers: { authorization: auth.token, 'content-type': 'application/json;charset=utf-8' },
      body: text,
      signal: sig,
      attempt,
    };
  }

  /** A JSON call to {apiUrl}/b2api/v4/{call}. */
  api<T>(call: string, body: Record<string, unknown>, signal?: AbortSignal, state?: CallState): Promise<T> {
    const text = JSON.stringify(body);
    return this.withAuth(
      signal,
      (auth, attempt, sig) => this.transport.json<T>(this.jsonRequest(call, text, auth, attempt, sig)),
      state,
    );
  }

  rememberUploadToken(token: string): void {
    this.issuedUploadTokens.push(token);
    if (this.issuedUploadTokens.length > 256) this.issuedUploadTokens.shift();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.uploadUrls.clear();
    this.partUrls.clear();
    await this.transport.close();
  }
}
