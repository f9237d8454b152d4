/**
 * Outage: keep a watch run alive while the endpoint is away (network loss, a 5xx storm, B2 or the
 * emulator stopped). `run(op)` retries op with capped exponential backoff and jitter for as long as its
 * failures look like an outage (isOutage), and says so once per outage: one {type:'outage', action:
 * 'start'} when the first attempt fails, one {action:'end', ms} when an attempt gets through again —
 * never one per retry. Any other failure is rethrown at once; `signal` ends the wait with AbortError.
 * The client has already retried each call (its own budget) before an error gets here.
 */
import { abortReason, sleep } from '../../core/abort.js';
import { B2Error, isAbortError } from '../../core/errors.js';
import type { WatchEvent } from './types.js';

export interface OutageOptions {
  emit: (e: WatchEvent) => void;
  signal?: AbortSignal;
  /** First wait between attempts (default 1 s); doubled each time up to capMs. */
  baseMs?: number;
  /** Longest wait between attempts (default 60 s). */
  capMs?: number;
}

/** Node's socket-level error codes that mean "the other end is not there (now)". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function looksLikeOutage(err: unknown): boolean {
  if (err instanceof B2Error) return err.status === 0 || err.status >= 500 || err.status === 429;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

export class Outage {
  private readonly emit: (e: WatchEvent) => void;
  private readonly signal?: AbortSignal;
  private readonly baseMs: number;
  private readonly capMs: number;
  /** When the current outage began (undefined: none). */
  private since?: number;

  constructor(o: OutageOptions) {
    this.emit = o.emit;
    this.signal = o.signal;
    this.baseMs = Math.max(1, o.baseMs ?? 1000);
    this.capMs = Math.max(this.baseMs, o.capMs ?? 60_000);
  }

  /** Whether the endpoint is in an outage now (between a 'start' and its 'end'). */
  get active(): boolean {
    return this.since !== undefined;
  }

  /** A network failure (refused, reset, timed out, unreachable) or a 5xx / 429 left after the client's retries. */
  isOutage(err: unknown): boolean {
    if (isAbortError(err)) return false;
    for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
      if (looksLikeOutage(e)) return true;
      e = (e as { cause?: unknown } | null)?.cause;
    }
    return false;
  }

  /** The wait before attempt `n + 1`: base·2ⁿ capped, the upper half of it jittered. */
  delayMs(n: number): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(n, 30));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  async run<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.signal?.aborted) throw abortReason(this.signal);
      try {
        const value = await op();
        this.recovered();
        return value;
      } catch (err) {
        if (this.signal?.aborted) throw abortReason(this.signal);
        if (!this.isOutage(err)) {
          this.recovered(); // it answered: the endpoint is back, whatever this failure is
          throw err;
        }
        this.started(err);
        await sleep(this.delayMs(attempt), this.signal);
      }
    }
  }

  private started(err: unknown): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    const why = err instanceof Error ? err.message : String(err);
    this.emit({
      type: 'outage',
      action: 'start',
      message: `B2 is unreachable (${why}): changes are queued, retrying with backoff up to ${Math.round(this.capMs / 1000)}s`,
    });
  }

  private recovered(): void {
    if (this.since === undefined) return;
    const ms = Date.now() - this.since;
    this.since = undefined;
    this.emit({ type: 'outage', action: 'end', message: 'B2 is reachable again: catching up', ms });
  }
}
