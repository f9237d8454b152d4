/** Abort helpers for the transfer engine. */
import { AbortError } from '../core/errors.js';

export function abortError(signal: AbortSignal | undefined): Error {
  const r = signal?.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  return new AbortError();
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** A signal that fires when the caller's does or when `controller` is aborted. */
export function linkedSignal(controller: AbortController, outer: AbortSignal | undefined): AbortSignal {
  return outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
