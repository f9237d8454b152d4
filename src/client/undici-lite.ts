/**
 * undici's Agent and request, loaded on first use from the two modules they live in instead of the
 * package root. Only uploads use undici (client/transport.ts), so most commands never load it.
 *
 * Why: the package root loads all of undici (fetch, WebSocket, caches, mocks), a large share of a CLI
 * start; the Agent and the request API alone load in a fraction of that (figures: docs/performance.md,
 * "HTTP seam"). The deep paths are not a published entry point, so package.json pins undici exactly;
 * when they are missing or have changed shape anyway, the package root is used instead: slower to
 * start, same behaviour.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher };
export type RequestFn = (url: string, opts: RequestOptions) => Promise<Dispatcher.ResponseData>;

interface Loaded {
  Agent: typeof UndiciAgent;
  request: RequestFn;
  /** Which way it was loaded (tests check the fast one is taken). */
  via: 'modules' | 'package';
}

const load = createRequire(import.meta.url);

function fromModules(): Loaded | undefined {
  try {
    const Agent = load('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
    const apiRequest = load('undici/lib/api/api-request.js') as (
      this: Dispatcher,
      opts: Dispatcher.RequestOptions,
    ) => Promise<Dispatcher.ResponseData>;
    if (typeof Agent !== 'function' || typeof apiRequest !== 'function') return undefined;
    const request: RequestFn = (url, { dispatcher, ...opts }) => {
      const u = new URL(url);
      return apiRequest.call(dispatcher, { ...opts, origin: u.origin, path: `${u.pathname}${u.search}` });
    };
    return { Agent, request, via: 'modules' };
  } catch {
    return undefined;
  }
}

function fromPackage(): Loaded {
  const u = load('undici') as { Agent: typeof UndiciAgent; request: RequestFn };
  return { Agent: u.Agent, request: u.request, via: 'package' };
}

/** A hook bin/b2sync.js sets: process-wide settings to make before undici loads (V8's Liftoff-only flag). */
const BEFORE_LOAD = Symbol.for('b2sync.beforeUndici');

let loaded: Loaded | undefined;
function loadOnce(): Loaded {
  if (loaded) return loaded;
  const before = (globalThis as Record<symbol, unknown>)[BEFORE_LOAD];
  if (typeof before === 'function') before();
  return (loaded = fromModules() ?? fromPackage());
}

/** undici's Agent and request: the first property read loads them. */
export const undici: Loaded = {
  get Agent() {
    return loadOnce().Agent;
  },
  get request() {
    return loadOnce().request;
  },
  get via() {
    return loadOnce().via;
  },
};
