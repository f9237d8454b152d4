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

/** A followed signal keeps the controller that aborts it alive (the sources hold the signal only weakly). */
const controllers = new WeakMap<AbortSignal, AbortController>();
/** Per source, its live followers (weakly), and the one abort listener that aborts them all. */
const followers = new WeakMap<AbortSignal, Set<WeakRef<AbortSignal>>>();
/** A follower collected unaborted: it comes off its sources' sets. */
const unlinker = new FinalizationRegistry<() => void>((unlink) => unlink());

function followersOf(source: AbortSignal): Set<WeakRef<AbortSignal>> {
  let set = followers.get(source);
  if (set) return set;
  const all = new Set<WeakRef<AbortSignal>>();
  set = all;
  followers.set(source, all);
  const onAbort = () => {
    followers.delete(source);
    for (const ref of [...all]) {
      const target = ref.deref();
      if (target) controllers.get(target)?.abort(source.reason);
    }
  };
  source.addEventListener('abort', onAbort, { once: true });
  return set;
}

/**
 * `controller`'s signal, aborted (with the source's reason) when any of `sources` is. Not
 * AbortSignal.any: on Node 20 it leaves an entry in each source for every call, never pruned, so a
 * long-lived source (the CLI's SIGINT / SIGTERM signal) combined per B2 call grows for as long as the
 * process runs (memory, and the time its abort takes). Here a source has one listener and a set of its
 * followers held weakly; a follower leaves the set when it aborts or is garbage-collected, so what a
 * source holds is bounded by the followers still in use.
 */
function follow(sources: AbortSignal[], controller: AbortController): AbortSignal {
  const signal = controller.signal;
  const fired = sources.find((s) => s.aborted);
  if (fired) {
    controller.abort(fired.reason);
    return signal;
  }
  controllers.set(signal, controller);
  const ref = new WeakRef(signal);
  const sets = sources.map(followersOf);
  for (const set of sets) set.add(ref);
  const unlink = () => {
    for (const set of sets) set.delete(ref);
  };
  signal.addEventListener('abort', unlink, { once: true });
  unlinker.register(signal, unlink);
  return signal;
}

/** Followers a source holds now (for tests of the bound). */
export function followerCount(source: AbortSignal): number {
  return followers.get(source)?.size ?? 0;
}

/** One signal that fires when any of the given ones does (undefined when none is given). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return follow(list, new AbortController());
}

/** A signal that fires when the caller's does or when `controller` is aborted. */
export function linkedSignal(controller: AbortController, outer: AbortSignal | undefined): AbortSignal {
  return outer ? follow([outer], controller) : controller.signal;
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
