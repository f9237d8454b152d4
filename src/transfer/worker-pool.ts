/** Workers that pull items from one (async) iterator; the first failure stops the others. */
import { isAbortError } from '../core/errors.js';
import { abortReason, linkedSignal } from '../core/abort.js';

/**
 * Run `fn` over the items of `source` with at most `concurrency` in flight. Items are pulled one at a
 * time, so a generator that buffers (a stream) holds at most concurrency+1 items. On the first failure
 * the signal passed to `fn` fires, the remaining workers wind down, and that failure is thrown (a real
 * error is preferred over the aborts it caused).
 */
export async function runPool<T>(
  source: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  outer: AbortSignal | undefined,
  fn: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const signal = linkedSignal(controller, outer);
  const it: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  let pulling: Promise<unknown> = Promise.resolve();
  let done = false;
  const errors: unknown[] = [];

  // Pulls are chained so the iterator is never entered twice at once.
  const next = (): Promise<IteratorResult<T>> => {
    const p = pulling.then(() => (done ? ({ done: true, value: undefined } as IteratorResult<T>) : it.next()));
    pulling = p.catch(() => undefined);
    return p;
  };

  const worker = async () => {
    while (!signal.aborted) {
      let r: IteratorResult<T>;
      try {
        r = await next();
      } catch (err) {
        errors.push(err);
        controller.abort();
        return;
      }
      if (r.done) {
        done = true;
        return;
      }
      try {
        await fn(r.value, signal);
      } catch (err) {
        errors.push(err);
        controller.abort();
        return;
      }
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (!done) {
    try {
      await it.return?.();
    } catch {
      // the iterator's own clean-up failed; the first failure matters more
    }
  }
  if (errors.length) throw errors.find((e) => !isAbortError(e)) ?? errors[0];
  if (outer?.aborted) throw abortReason(outer);
}
