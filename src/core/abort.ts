/** Abort and sleep helpers shared by every layer: one AbortError, abortable sleeps, linked signals. */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { AbortError } from './errors.js';

/** The error to throw for an aborted signal: its reason when that is an AbortError, else a new one. */
export function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  return new AbortError();
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** Sleep that rejects with AbortError as soon as the signal fires. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal);
    throw err;
  }
}

/** One signal that fires when any of the given ones does (undefined when none is given). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return AbortSignal.any(list);
}

/** A signal that fires when the caller's does or when `controller` is aborted. */
export function linkedSignal(controller: AbortController, outer: AbortSignal | undefined): AbortSignal {
  return outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
}

/**
 * A signal of its own for a unit of work under a long-lived one (a watch pass under the run's): it
 * fires when `outer` does, and `dispose()` takes its one listener off `outer` again, so nothing the
 * work hangs on its signal accumulates on `outer` over days. `maxListeners` raises Node's leak warning
 * threshold for the child (each transfer in flight holds one listener on it).
 */
export function childSignal(
  outer: AbortSignal | undefined,
  maxListeners = 10,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  setMaxListeners(Math.max(10, maxListeners), controller.signal);
  if (!outer) return { signal: controller.signal, dispose: () => undefined };
  const onAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, dispose: () => outer.removeEventListener('abort', onAbort) };
}
