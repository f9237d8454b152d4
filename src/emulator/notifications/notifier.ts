/**
 * Webhook delivery for event notifications: after a change is committed, each enabled rule whose event
 * type and objectNamePrefix match gets one signed POST `{"events":[...]}` (one event per POST, B2's
 * default batch size). Deliveries run in the background from a bounded queue with a few workers and a
 * few retries; a failure is counted (stats()), never thrown, so the API answer is never delayed.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  SIGNATURE_HEADER,
  eventTypeMatches,
  signPayload,
  type NotificationEvent,
  type NotificationRule,
} from '../../wire/notifications.js';
import type { DeliveryStats } from '../api.js';
import type { StoredBucket, StoredFile } from '../store/records.js';

export interface NotifierOptions {
  maxQueue?: number;
  concurrency?: number;
  attempts?: number;
  timeoutMs?: number;
  /** Delay before retry n (1-based) is backoffMs * 4^(n-1). */
  backoffMs?: number;
}

interface Job {
  url: URL;
  body: string;
  headers: Record<string, string>;
  attempt: number;
}

export class Notifier {
  private readonly maxQueue: number;
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private queue: Job[] = [];
  private active = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private abort = new AbortController();
  private waiters: (() => void)[] = [];
  private counts = { queued: 0, delivered: 0, failed: 0, retries: 0, dropped: 0 };
  private lastError: string | null = null;

  constructor(o: NotifierOptions = {}) {
    this.maxQueue = o.maxQueue ?? 10_000;
    this.concurrency = o.concurrency ?? 4;
    this.attempts = o.attempts ?? 3;
    this.timeoutMs = o.timeoutMs ?? 5_000;
    this.backoffMs = o.backoffMs ?? 100;
  }

  private get pending(): number {
    return this.queue.length + this.active + this.retryTimers.size;
  }

  /** A committed change of `f` in `bucket`: queue one POST per matching rule. Never throws. */
  emit(bucket: StoredBucket, accountId: string, eventType: string, f: StoredFile): void {
    const rules = bucket.notificationRules;
    if (!rules || rules.length === 0) return;
    for (const rule of rules) {
      if (!ruleMatches(rule, eventType, f.fileName)) continue;
      if (this.pending >= this.maxQueue) {
        this.counts.dropped++;
        continue;
      }
      const event: NotificationEvent = {
        accountId,
        bucketId: bucket.bucketId,
        bucketName: bucket.bucketName,
        eventId: randomUUID(),
        eventTimestamp: Date.now(),
        eventType,
        eventVersion: 1,
        matchedRuleName: rule.name,
        objectName: f.fileName,
        objectVersionId: f.fileId,
      };
      if (eventType.startsWith('b2:ObjectCreated:')) event.objectSize = f.contentLength;
      this.queue.push(jobFor(rule, JSON.stringify({ events: [event] })));
      this.counts.queued++;
    }
    this.pump();
  }

  stats(): DeliveryStats {
    return { ...this.counts, pending: this.pending, lastError: this.lastError };
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drop everything pending (in-flight POSTs are cut) and zero the counters. */
  reset(): void {
    this.stop();
    this.abort = new AbortController();
    this.counts = { queued: 0, delivered: 0, failed: 0, retries: 0, dropped: 0 };
    this.lastError = null;
  }

  /** Stop for good: pending deliveries are dropped, in-flight ones cut. */
  close(): void {
    this.stop();
  }

  private stop(): void {
    this.abort.abort();
    this.queue = [];
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.settle();
  }

  private settle(): void {
    if (this.pending > 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      const signal = this.abort.signal;
      void this.attempt(job, signal).finally(() => {
        this.active--;
        if (!signal.aborted) this.pump();
        this.settle();
      });
    }
  }

  private async attempt(job: Job, signal: AbortSignal): Promise<void> {
    let problem: string | undefined;
    try {
      const status = await post(job, AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]));
      if (status >= 200 && status < 300) {
        this.counts.delivered++;
        return;
      }
      problem = `HTTP ${status}`;
    } catch (err) {
      problem = (err as Error).message;
    }
    if (signal.aborted) return;
    this.lastError = `${job.url.host}: ${problem}`;
    if (job.attempt >= this.attempts) {
      this.counts.failed++;
      return;
    }
    this.counts.retries++;
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(timer);
        this.queue.push({ ...job, attempt: job.attempt + 1 });
        this.pump();
        this.settle();
      },
      this.backoffMs * 4 ** (job.attempt - 1),
    );
    timer.unref();
    this.retryTimers.add(timer);
  }
}

function ruleMatches(rule: NotificationRule, eventType: string, name: string): boolean {
  if (!rule.isEnabled || rule.isSuspended) return false;
  if (!name.startsWith(rule.objectNamePrefix)) return false;
  return rule.eventTypes.some((t) => eventTypeMatches(t, eventType));
}

function jobFor(rule: NotificationRule, body: string): Job {
  const target = rule.targetConfiguration;
  const headers: Record<string, string> = {};
  for (const h of target.customHeaders ?? []) headers[h.name] = h.value;
  headers['Content-Type'] = 'application/json';
  headers['Content-Length'] = String(Buffer.byteLength(body));
  headers['User-Agent'] = 'b2sync-emulator-event-notifications';
  if (target.hmacSha256SigningSecret) headers[SIGNATURE_HEADER] = signPayload(body, target.hmacSha256SigningSecret);
  return { url: new URL(target.url), body, headers, attempt: 1 };
}

/** One POST; resolves with the status once the answer's body is read. */
function post(job: Job, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = job.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      job.url,
      { method: 'POST', headers: job.headers, signal, agent: false },
      (res: IncomingMessage) => {
        res.on('error', reject);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(job.body);
  });
}
