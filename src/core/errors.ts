/**
 * One error type for B2 failures and a few typed errors for everything else.
 * Callers branch on the flags (retryable, reauthorize, fatal), not on codes.
 */

/** What a failure allows the caller to do. */
export type ErrorClass = 'retryable' | 'reauthorize' | 'fatal';

/** B2 statuses and codes that allow a retry (with backoff, honouring Retry-After). */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export interface B2ErrorInit {
  status: number;
  code: string;
  message: string;
  /** Seconds, from a Retry-After header. */
  retryAfter?: number;
  /** The B2 call that failed, e.g. b2_upload_file. */
  call?: string;
  cause?: unknown;
}

/** A failure reported by B2 (or by the transport while talking to B2: status 0). */
export class B2Error extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfter?: number;
  readonly call?: string;

  constructor(init: B2ErrorInit) {
    super(init.message || `${init.status} ${init.code}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'B2Error';
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter;
    this.call = init.call;
  }

  get errorClass(): ErrorClass {
    return classifyB2(this.status, this.code);
  }
  get retryable(): boolean {
    return this.errorClass === 'retryable';
  }
  get reauthorize(): boolean {
    return this.errorClass === 'reauthorize';
  }
  get fatal(): boolean {
    return this.errorClass === 'fatal';
  }
  /**
   * Whether an upload (b2_upload_file / b2_upload_part) may be tried again with a fresh upload URL
   * (b2-api.md §6.2, §14): transport failures, 408, 429, 5xx, an upload token B2 refused, and
   * auth_token_limit (the URL is busy).
   */
  get retryableUpload(): boolean {
    const { status, code } = this;
    if (status === 0 || status === 408 || status === 429 || status >= 500) return true;
    if (status === 401)
      return code === 'expired_auth_token' || code === 'bad_auth_token' || code === 'missing_auth_token';
    return status === 400 && code === 'auth_token_limit';
  }
  /** Whether the failure means the named bucket, file or version does not exist (b2-api.md §14). */
  get notFound(): boolean {
    if (this.status === 404) return true;
    // b2_get_file_info's only input is the id: its 400 bad_request says no file has that id (b2-api.md §10.3).
    if (this.call === 'b2_get_file_info' && this.status === 400 && this.code === 'bad_request') return true;
    return this.status === 400 && NOT_FOUND_CODES.has(this.code);
  }
}

/** 400 codes that mean "no such thing": a bucket that does not exist, an id/name pair not found. */
const NOT_FOUND_CODES = new Set(['bad_bucket_id', 'file_not_present', 'not_found', 'no_such_file']);

/**
 * Classify a B2 status/code pair.
 * status 0 means a transport failure (reset, refused, timeout, body cut short): retryable.
 */
export function classifyB2(status: number, code: string): ErrorClass {
  if (status === 0) return 'retryable';
  if (status === 401 && (code === 'expired_auth_token' || code === 'bad_auth_token')) return 'reauthorize';
  if (RETRYABLE_STATUS.has(status)) return 'retryable';
  if (status >= 500) return 'retryable';
  return 'fatal';
}

/** A transport-level failure (connection reset/refused, timeout, truncated body). */
export function transportError(call: string | undefined, cause: unknown): B2Error {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new B2Error({ status: 0, code: 'network_error', message: `network error: ${msg}`, call, cause });
}

/** Bad input from the user (flags, paths, values): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Something named by the user does not exist (bucket, file, profile): exit code 3. */
export class NotFoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** A request that breaks one of B2's limits, detected before any call is made. */
export class LimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

/** Downloaded or uploaded bytes whose SHA-1 does not match. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** Some items of a batch failed while others succeeded: exit code 4. */
export class PartialFailureError extends Error {
  readonly failures: { item: string; error: unknown }[];
  constructor(message: string, failures: { item: string; error: unknown }[]) {
    super(message);
    this.name = 'PartialFailureError';
    this.failures = failures;
  }
}

/** `check` found the two trees different (each difference listed): exit code 5. */
export class DifferencesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DifferencesError';
  }
}

/** The operation was aborted through an AbortSignal. */
export class AbortError extends Error {
  constructor(message = 'aborted') {
    super(message);
    this.name = 'AbortError';
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}
