/**
 * openWebhookSource: the remote change source for `--events-listen HOST:PORT` (docs/watch.md, "Event
 * notifications (webhooks)"). A node:http server takes B2's event-notification POSTs: the raw body
 * (capped) must carry a valid v1 signature under one of the secrets (else 401, nothing delivered, one
 * rate-limited notice); a good POST is answered 200 at once, its events are de-duplicated by eventId,
 * mapped to paths under the watched prefix, and handed out as 'remote' ChangeBatches, coalescing what
 * arrives within `coalesceMs`. Pending paths are bounded: past `maxPendingPaths` the batch becomes one
 * 'remote-full' (list everything) instead.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChangeBatch, ChangeSource, PathChange } from './types.js';
import { RecentIds, changeKind, payloadEvents, relativePath, signatureValid } from './webhook-events.js';

export interface WebhookSourceOptions {
  host: string;
  /** 0 picks a free port (see `address`). */
  port: number;
  /** Signing secrets a POST may be signed with (the bucket's rules'); at least one. */
  secrets: string[];
  /** The watched B2 prefix ('' = the whole bucket): names are made relative to it; names outside are ignored. */
  prefix: string;
  /** Only events for this bucket are taken (others are ignored); default: any. */
  bucketName?: string;
  /** Stops the source: next() then resolves undefined and the server closes. */
  signal?: AbortSignal;
  /** One line for people (a refused POST, a payload that is not B2's); rate-limited. */
  onNotice?: (message: string) => void;
  /** Events arriving within this long of the first of a batch join it (default 100 ms). */
  coalesceMs?: number;
  /** Largest body accepted (default 1 MiB); larger: 413. */
  maxBodyBytes?: number;
  /** eventIds remembered to drop redeliveries (default 10,000). */
  rememberIds?: number;
  /** Distinct pending paths before a batch turns into one 'remote-full' (default 10,000). */
  maxPendingPaths?: number;
  /** Least time between two notices of one kind (default 60 s). */
  noticeEveryMs?: number;
}

export interface WebhookStats {
  /** POSTs with a good signature. */
  accepted: number;
  /** POSTs refused for a missing or bad signature. */
  refused: number;
  /** Events dropped as redeliveries of a seen eventId. */
  duplicates: number;
  /** Events outside the prefix or bucket, or of a type that changes nothing. */
  ignored: number;
  /** Paths handed out in batches. */
  delivered: number;
}

export type WebhookSource = ChangeSource & { address: { host: string; port: number }; stats(): WebhookStats };

export async function openWebhookSource(o: WebhookSourceOptions): Promise<WebhookSource> {
  if (o.secrets.length === 0 || o.secrets.some((s) => s.length === 0))
    throw new TypeError('openWebhookSource needs at least one non-empty signing secret');
  const receiver = new Receiver(o);
  return receiver.listen();
}

class Receiver {
  private readonly coalesceMs: number;
  private readonly maxBody: number;
  private readonly maxPending: number;
  private readonly noticeEvery: number;
  private readonly recent: RecentIds;
  private readonly server = createServer((req, res) => this.handle(req, res));
  private pending = new Map<string, PathChange['kind']>();
  private overflow = false;
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private wake: (() => void) | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly lastNotice = new Map<string, { at: number; suppressed: number }>();
  private readonly counts: WebhookStats = { accepted: 0, refused: 0, duplicates: 0, ignored: 0, delivered: 0 };

  constructor(private readonly o: WebhookSourceOptions) {
    this.coalesceMs = o.coalesceMs ?? 100;
    this.maxBody = o.maxBodyBytes ?? 1024 * 1024;
    this.maxPending = o.maxPendingPaths ?? 10_000;
    this.noticeEvery = o.noticeEveryMs ?? 60_000;
    this.recent = new RecentIds(o.rememberIds ?? 10_000);
  }

  async listen(): Promise<WebhookSource> {
    this.server.requestTimeout = 30_000;
    this.server.listen(this.o.port, this.o.host);
    await once(this.server, 'listening');
    const a = this.server.address() as AddressInfo;
    const onAbort = () => void this.close();
    if (this.o.signal?.aborted) onAbort();
    else this.o.signal?.addEventListener('abort', onAbort, { once: true });
    return {
      address: { host: a.address, port: a.port },
      next: () => this.next(),
      close: () => this.close(),
      stats: () => ({ ...this.counts }),
    };
  }

  private async next(): Promise<ChangeBatch | undefined> {
    while (!this.closed) {
      if (this.ready && (this.overflow || this.pending.size > 0)) return this.take();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return undefined;
  }

  private take(): ChangeBatch {
    this.ready = false;
    if (this.overflow) {
      this.overflow = false;
      this.pending = new Map();
      return { origin: 'remote-full', reason: `more than ${this.maxPending} remote changes pending` };
    }
    const changes = [...this.pending].map(([path, kind]) => ({ path, kind }));
    this.pending = new Map();
    this.counts.delivered += changes.length;
    return { origin: 'remote', changes };
  }

  private close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearTimeout(this.timer);
      this.wake?.();
      const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      await done;
    })();
    return this.closing;
  }

  private notice(kind: string, message: string): void {
    const now = Date.now();
    const last = this.lastNotice.get(kind);
    if (last && now - last.at < this.noticeEvery) {
      last.suppressed++;
      return;
    }
    const more = last && last.suppressed > 0 ? ` (${last.suppressed} more since the last notice)` : '';
    this.lastNotice.set(kind, { at: now, suppressed: 0 });
    this.o.onNotice?.(message + more);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Length': '0' }).end();
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) return this.tooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) return this.tooLarge(req, res);
      chunks.push(c);
    });
    req.on('end', () => {
      if (size <= this.maxBody) this.received(req, res, Buffer.concat(chunks));
    });
    req.on('error', () => res.destroy());
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    if (!res.headersSent) res.writeHead(413, { Connection: 'close', 'Content-Length': '0' }).end();
    req.removeAllListeners('data');
    req.resume();
  }

  private received(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    if (!signatureValid(raw, req.headers['x-bz-event-notification-signature'], this.o.secrets)) {
      this.counts.refused++;
      res.writeHead(401, { 'Content-Length': '0' }).end();
      const from = req.socket.remoteAddress ?? 'unknown address';
      this.notice('refused', `refused an event-notification POST from ${from}: missing or bad signature`);
      return;
    }
    const events = payloadEvents(raw);
    if (!events) {
      res.writeHead(400, { 'Content-Length': '0' }).end();
      this.notice('payload', 'an event-notification POST with a good signature did not hold {"events": [...]}');
      return;
    }
    this.counts.accepted++;
    res.writeHead(200, { 'Content-Length': '0' }).end();
    for (const e of events) this.onEvent(e.eventId, e.eventType, e.objectName, e.bucketName);
  }

  private onEvent(eventId: string | undefined, type: string, name: string, bucketName: string | undefined): void {
    if (eventId !== undefined && this.recent.seen(eventId)) {
      this.counts.duplicates++;
      return;
    }
    const kind = changeKind(type);
    const path = relativePath(name, this.o.prefix);
    const otherBucket = this.o.bucketName !== undefined && bucketName !== this.o.bucketName;
    if (kind === undefined || path === undefined || otherBucket) {
      this.counts.ignored++;
      return;
    }
    if (this.overflow) return;
    this.pending.delete(path); // the latest event for a path wins, in arrival order
    this.pending.set(path, kind);
    if (this.pending.size > this.maxPending) this.overflow = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.ready = true;
      this.wake?.();
    }, this.coalesceMs);
  }
}
