/**
 * The emulator's programmatic surface: how tests and the CLI start it, and its test controls.
 * The same controls are served over HTTP under CONTROL_PREFIX (and nowhere else).
 */

/** Reserved path prefix for the test controls; no B2 path starts with it. */
export const CONTROL_PREFIX = '/__b2sync__';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Keep data on disk here (survives restarts); default: in memory. */
  dataDir?: string;
  /** Master key id / key; generated when omitted. */
  keyId?: string;
  applicationKey?: string;
  /** Added delay before every B2 response, in ms. */
  latencyMs?: number;
  /** Account-token lifetime in seconds (default 86400). */
  tokenTtlSeconds?: number;
  /** absoluteMinimumPartSize the emulator enforces and reports (default 5_000_000). */
  minPartSize?: number;
  /** recommendedPartSize reported by authorize (default 100_000_000, never below minPartSize). */
  recommendedPartSize?: number;
}

/**
 * A fault rule: the next `count` calls matching `call` (after skipping `after` of them) fail.
 * kind 'error' answers status/code/message (+ Retry-After); 'drop' destroys the connection part-way
 * (mid request body for uploads, mid response body for downloads); 'corrupt' flips bytes in a download body;
 * 'cut' (JSON calls and uploads, not downloads) carries the call out, then sends the headers and about
 * half the reply body and destroys the connection.
 */
export interface FaultSpec {
  /** B2 call name (e.g. "b2_upload_part", "b2_download_file_by_name") or "*" for any call. */
  call: string;
  kind?: 'error' | 'drop' | 'corrupt' | 'cut';
  /** Number of matching calls to fail; default 1. */
  count?: number;
  /** Matching calls to let through before failing; default 0. */
  after?: number;
  status?: number;
  code?: string;
  message?: string;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
}

export interface Counters {
  /** Calls per B2 call name (authorize, uploads, downloads included). */
  calls: Record<string, number>;
  /** Billable transactions per class; listings count ceil(returned/1000), minimum 1. */
  classes: { A: number; B: number; C: number };
}

/** Event-notification webhook deliveries so far (docs/emulator.md, "Event notifications"). */
export interface DeliveryStats {
  /** Events matched and queued so far. */
  queued: number;
  /** POSTs answered 2xx. */
  delivered: number;
  /** Events given up on after the last attempt. */
  failed: number;
  /** Attempts repeated after a failure. */
  retries: number;
  /** Events not queued because the queue was full. */
  dropped: number;
  /** Queued, in flight or waiting for a retry. */
  pending: number;
  /** The last delivery failure (URL host and reason; no secret). */
  lastError: string | null;
}

export interface EmulatorControls {
  injectFault(spec: FaultSpec): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  /**
   * Move the emulator's file clock by ms (negative: back): files uploaded, copied or hidden afterwards
   * carry uploadTimestamps that much later (tokens keep real time). Returns the file clock's new time.
   */
  advanceClock(ms: number): number;
  /** Every account, upload and download token issued so far now answers 401 expired_auth_token. */
  expireAllTokens(): void;
  /** Drop all buckets, files, keys (except the master key), tokens, faults and counters. */
  reset(): Promise<void>;
  counters(): Counters;
  resetCounters(): void;
  /** Webhook deliveries: queued, delivered, failed, retried, dropped, pending. */
  notificationStats(): DeliveryStats;
  /** Resolves once no webhook is queued, in flight or waiting for a retry. */
  notificationsIdle(): Promise<void>;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:43123 — the realm URL to authorize against (also apiUrl and downloadUrl). */
  url: string;
  port: number;
  keyId: string;
  applicationKey: string;
  controls: EmulatorControls;
  close(): Promise<void>;
}

/*
 * HTTP form of the controls (JSON bodies, JSON replies):
 *   POST   /__b2sync__/faults           FaultSpec            → {ok:true}
 *   DELETE /__b2sync__/faults                                → {ok:true}
 *   POST   /__b2sync__/latency          {"ms": number}       → {ok:true}
 *   POST   /__b2sync__/clock            {"advanceMs"?, "advanceDays"?} → {ok:true, now}
 *   GET    /__b2sync__/clock                                 → {now}
 *   POST   /__b2sync__/expire-tokens                         → {ok:true}
 *   POST   /__b2sync__/reset                                 → {ok:true}
 *   GET    /__b2sync__/counters                              → Counters
 *   POST   /__b2sync__/counters/reset                        → {ok:true}
 *   GET    /__b2sync__/notifications                         → DeliveryStats
 */
