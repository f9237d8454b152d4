/**
 * One connection budget per origin, shared by the HTTP clients behind the seam (undici's Agent and the
 * lean GET): at most `max` requests in flight per origin across both, so at most `max` connections in
 * use. A request holds its slot from dispatch until its response has been received whole (or failed),
 * whether or not its reader has caught up. Idle keep-alive connections hold none.
 */
import type { Dispatcher } from 'undici';

interface Waiter {
  wake(): void;
}

export class ConnectionBudget {
  private readonly busy = new Map<string, number>();
  private readonly queues = new Map<string, Waiter[]>();

  constructor(readonly max: number) {}

  /** Requests holding a slot for `origin` now. */
  inUse(origin: string): number {
    return this.busy.get(origin) ?? 0;
  }

  /** Wait for a slot; the returned function gives it back (once, however often it is called). */
  async acquire(origin: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    // A freed slot passes straight to the first waiter (the count stays), so a request arriving
    // between the release and the waiter's wake-up cannot take it too and go over `max`.
    if (this.inUse(origin) >= this.max) await this.wait(origin, signal);
    else this.busy.set(origin, this.inUse(origin) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.queues.get(origin)?.shift();
      if (next) next.wake();
      else this.busy.set(origin, this.inUse(origin) - 1);
    };
  }

  private wait(origin: string, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const q = this.queues.get(origin) ?? [];
      this.queues.set(origin, q);
      const onAbort = () => {
        const i = q.indexOf(waiter);
        if (i >= 0) q.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      q.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** An undici interceptor: each request dispatches once it has a slot and frees it when its response ends or fails. */
  interceptor(): Dispatcher.DispatcherComposeInterceptor {
    return (dispatch) => (opts, handler) => {
      void this.acquire(String(opts.origin)).then((release) => {
        const h = releasing(handler, release);
        try {
          dispatch(opts, h);
        } catch (err) {
          release();
          const end = h as { onResponseError?(c: unknown, e: unknown): void; onError?(e: unknown): void };
          if (end.onResponseError) end.onResponseError(undefined, err);
          else end.onError?.(err);
        }
      });
      return true;
    };
  }
}

/** The handler's last calls (either shape undici has) give the slot back; every call keeps the handler as `this`. */
const ENDINGS = new Set<string | symbol>(['onComplete', 'onError', 'onResponseEnd', 'onResponseError']);

function releasing(handler: Dispatcher.DispatchHandler, release: () => void): Dispatcher.DispatchHandler {
  return new Proxy(handler, {
    get(target, key) {
      const v = Reflect.get(target, key) as unknown;
      if (typeof v !== 'function') return v;
      const fn = v as (...a: unknown[]) => unknown;
      if (!ENDINGS.has(key)) return (...a: unknown[]) => fn.apply(target, a);
      return (...a: unknown[]) => {
        release();
        return fn.apply(target, a);
      };
    },
  });
}
