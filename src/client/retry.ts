/** Backoff with jitter and abortable sleeps: the client's retry policy helpers. */
import { AbortError } from '../core/errors.js';
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
export function backoffDelay(retry: number, opts: ResolvedRetry, retryAfterSeconds?: number, random = Math.random): number {
  if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.min(Math.round(retryAfterSeconds * 1000), retryAfterCapMs(opts));
  }
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.min(retry, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function abortReason(signal: AbortSignal | undefined): Error {
  const r = signal?.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  return new AbortError();
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** Sleep that rejects with AbortError as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One signal that fires when any of the given ones does. */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return AbortSignal.any(list);
}
