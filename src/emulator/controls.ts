/** Test controls: fault rules, latency, and call counters per call name and billing class. */
import { CALL_CLASS } from '../wire/types.js';
import type { Counters, FaultSpec } from './api.js';
import { b2Fail } from './errors.js';

export type FaultKind = 'error' | 'drop' | 'corrupt' | 'cut';

export interface Fault {
  kind: FaultKind;
  status: number;
  code: string;
  message: string;
  retryAfter?: number;
}

interface FaultRule extends Fault {
  call: string;
  remaining: number;
  skip: number;
}

/** What kind of call a request is: 'download' calls can take 'corrupt' faults. */
export type CallKind = 'json' | 'upload' | 'download';

/** Validate a FaultSpec from a test (programmatic or HTTP), throwing 400 bad_request on nonsense. */
export function parseFaultSpec(spec: unknown): FaultSpec {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec))
    throw b2Fail('bad_request', 'fault spec must be an object');
  const s = spec as Record<string, unknown>;
  const str = (k: string) => {
    if (s[k] !== undefined && s[k] !== null && typeof s[k] !== 'string')
      throw b2Fail('bad_request', `${k} must be a string`);
    return (s[k] ?? undefined) as string | undefined;
  };
  const int = (k: string, min: number) => {
    const v = s[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw b2Fail('bad_request', `${k} must be an integer >= ${min}`);
    return v;
  };
  const call = str('call');
  if (!call) throw b2Fail('bad_request', 'required field call is missing');
  const kind = str('kind');
  if (kind !== undefined && kind !== 'error' && kind !== 'drop' && kind !== 'corrupt' && kind !== 'cut')
    throw b2Fail('bad_request', 'kind must be "error", "drop", "corrupt" or "cut"');
  const status = int('status', 100);
  if (status !== undefined && status > 599) throw b2Fail('bad_request', 'status must be an HTTP status');
  return {
    call,
    kind: kind as FaultSpec['kind'],
    count: int('count', 1),
    after: int('after', 0),
    status,
    code: str('code'),
    message: str('message'),
    retryAfter: int('retryAfter', 0),
  };
}

const DEFAULT_CODE: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  429: 'too_many_requests',
  500: 'internal_error',
  503: 'service_unavailable',
};

export class Controls {
  private rules: FaultRule[] = [];
  private calls: Record<string, number> = {};
  private classes = { A: 0, B: 0, C: 0 };
  latencyMs: number;
  /** Added to the real clock for the times files are stamped with (advanceClock); tokens keep real time. */
  private clockOffsetMs = 0;

  constructor(private readonly initialLatencyMs: number) {
    this.latencyMs = initialLatencyMs;
  }

  injectFault(spec: FaultSpec): void {
    const s = parseFaultSpec(spec);
    const status = s.status ?? 503;
    this.rules.push({
      call: s.call,
      kind: s.kind ?? 'error',
      remaining: s.count ?? 1,
      skip: s.after ?? 0,
      status,
      code: s.code ?? DEFAULT_CODE[status] ?? (status >= 500 ? 'internal_error' : 'bad_request'),
      message: s.message ?? `injected fault (${s.call})`,
      retryAfter: s.retryAfter,
    });
  }

  /** The file clock: uploadTimestamp of uploads, copies, hide markers and large files. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /**
   * Move the file clock by ms. Back (ms < 0) is allowed, e.g. to start a test's history days ago so
   * its moments are in the past; versions stamped after a step back carry older times than earlier
   * ones, as B2's custom upload timestamps can.
   */
  advanceClock(ms: number): void {
    if (!Number.isSafeInteger(ms)) throw b2Fail('bad_request', 'advanceMs must be a whole number of ms');
    this.clockOffsetMs += ms;
  }

  clearFaults(): void {
    this.rules = [];
  }

  /**
   * The fault (if any) for this call. Every matching rule sees the call (its `after` counts down);
   * the first rule past its `after` fires and uses up one of its `count`.
   * 'corrupt' rules only match downloads; 'cut' rules match JSON calls and uploads (the upload is
   * stored, then its reply is cut), never downloads.
   */
  takeFault(call: string, kind: CallKind): Fault | undefined {
    let fired: FaultRule | undefined;
    for (const r of this.rules) {
      if (r.call !== '*' && r.call !== call) continue;
      if (r.kind === 'corrupt' && kind !== 'download') continue;
      if (r.kind === 'cut' && kind === 'download') continue;
      if (r.skip > 0) {
        r.skip--;
        continue;
      }
      if (!fired) {
        fired = r;
        r.remaining--;
      }
    }
    if (fired && fired.remaining <= 0) this.rules = this.rules.filter((r) => r !== fired);
    return fired;
  }

  /** Count one call (listings add their extra billable units later through bill()). */
  count(call: string): void {
    this.calls[call] = (this.calls[call] ?? 0) + 1;
    const cls = CALL_CLASS[call];
    if (cls) this.classes[cls]++;
  }

  /** Extra billable units of a call already counted (listings: ceil(returned/1000) - 1). */
  bill(call: string, extraUnits: number): void {
    const cls = CALL_CLASS[call];
    if (cls && extraUnits > 0) this.classes[cls] += extraUnits;
  }

  counters(): Counters {
    return { calls: { ...this.calls }, classes: { ...this.classes } };
  }

  resetCounters(): void {
    this.calls = {};
    this.classes = { A: 0, B: 0, C: 0 };
  }

  reset(): void {
    this.clearFaults();
    this.resetCounters();
    this.latencyMs = this.initialLatencyMs;
    this.clockOffsetMs = 0;
  }
}
