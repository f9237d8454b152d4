/**
 * The client's one retry loop. Every retried operation (authorized calls, uploads, listings, download
 * body resumes, authorization itself) goes through retrying(): --retries bounds it everywhere, a
 * Retry-After is honoured everywhere, an abort stops it at once.
 */
import { abortReason, sleep, throwIfAborted } from '../core/abort.js';
import { B2Error } from '../core/errors.js';
import type { RetryOptions } from './api.js';

export interface ResolvedRetry {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function resolveRetry(opts: RetryOptions | undefined): ResolvedRetry {
  return {
    retries: Math.max(0, opts?.retries ?? 5),
    baseDelayMs: Math.max(0, opts?.baseDelayMs ?? 1000),
    maxDelayMs: Math.max(0, opts?.maxDelayMs ?? 64_000),
  };
}

/** Longest Retry-After honoured (a larger value is cut to this): max(maxDelayMs, 60 s). */
export function retryAfterCapMs(opts: ResolvedRetry): number {
  return Math.max(opts.maxDelayMs, 60_000);
}

/**
 * Delay before retry number `retry` (0 = first retry). A Retry-After (seconds) is honoured as given
 * (up to retryAfterCapMs); otherwise base·2^retry capped at maxDelayMs, with jitter in [50%, 100%] of that.
 */
export function backoffDelay(
  retry: number,
  opts: ResolvedRetry,
  retryAfterSeconds?: number,
  random = Math.random,
): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.min(Math.round(retryAfterSeconds * 1000), retryAfterCapMs(opts));
  }
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(retry, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** What one failure allows, as decided by the caller's classifier. */
export type RetryVerdict =
  /** Give up: the error is thrown as it is. */
  | 'fail'
  /** Try again after the backoff delay (honouring retryAfter), counting against `retries`. */
  | 'retry'
  /** Try again at once, counting against `retries` (a fresh upload URL after a 401, say). */
  | 'retry-now'
  /** Try again at once without counting (the caller repaired something, e.g. re-authorized once). */
  | 'again';

/** Retries made so far, shared by several retrying() calls that spend one budget (a listing's re-asks). */
export interface RetryCount {
  used: number;
}

export interface RetryingOptions {
  signal?: AbortSignal;
  /** Retries after the first attempt; ResolvedRetry gives the backoff too. */
  policy: ResolvedRetry;
  /** A count shared with other retrying() calls; each call counts from 0 without it. */
  count?: RetryCount;
  /** What a failure allows. May be async (re-authorize, then 'again'). */
  classify: (err: unknown, attempt: number) => RetryVerdict | Promise<RetryVerdict>;
  /** Seconds to wait asked by the server for this failure (a Retry-After header). */
  retryAfter?: (err: unknown) => number | undefined;
  /** Called before each retry with the retry number (0 = first) and the delay chosen. */
  onRetry?: (err: unknown, retry: number, delayMs: number) => void;
}

/**
 * Run op(attempt) until it succeeds, the classifier says 'fail', the retry budget is spent or the
 * signal fires (then the abort reason is thrown, whatever the op threw).
 */
export async function retrying<T>(op: (attempt: number) => Promise<T>, opts: RetryingOptions): Promise<T> {
  const count = opts.count ?? { used: 0 };
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(opts.signal);
    try {
      return await op(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const verdict = await opts.classify(err, attempt);
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      if (verdict === 'fail') throw err;
      if (verdict === 'again') continue;
      const retry = count.used;
      if (retry >= opts.policy.retries) throw err;
      const wait = verdict === 'retry-now' ? 0 : backoffDelay(retry, opts.policy, opts.retryAfter?.(err));
      opts.onRetry?.(err, retry, wait);
      count.used++;
      await sleep(wait, opts.signal);
    }
  }
}

/** The Retry-After (seconds) a B2Error carries, for RetryingOptions.retryAfter. */
export function b2RetryAfter(err: unknown): number | undefined {
  return err instanceof B2Error ? err.retryAfter : undefined;
}

/** The plain B2 rule: a transient failure (B2Error.retryable) is retried with backoff, anything else fails. */
export function transientVerdict(err: unknown): RetryVerdict {
  return err instanceof B2Error && err.retryable ? 'retry' : 'fail';
}
