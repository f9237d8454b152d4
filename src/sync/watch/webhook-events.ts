/**
 * The pure half of the webhook receiver (docs/watch.md, "Event notifications (webhooks)"): checking the
 * v1 signature against the known secrets in constant time, reading the payload, and turning B2 events
 * into PathChanges relative to the watched prefix.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationEvent } from '../../wire/notifications.js';
import type { PathChange } from './types.js';

const V1 = /^v1=([0-9a-fA-F]{64})$/;

/**
 * Does `header` (X-Bz-Event-Notification-Signature) carry `v1=<hex HMAC-SHA256 of raw>` under one of
 * `secrets`? Every secret is tried (no early exit), each comparison in constant time.
 */
export function signatureValid(
  raw: Buffer,
  header: string | string[] | undefined,
  secrets: readonly string[],
): boolean {
  const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  const m = value === undefined ? null : V1.exec(value.trim());
  if (!m) return false;
  const claimed = Buffer.from(m[1], 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(raw).digest();
    if (timingSafeEqual(expected, claimed)) ok = true;
  }
  return ok;
}

/** The events of a payload, or undefined when it is not `{"events": [...]}`; malformed entries are skipped. */
export function payloadEvents(raw: Buffer): NotificationEvent[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object' || !Array.isArray((body as { events?: unknown }).events)) return undefined;
  return ((body as { events: unknown[] }).events as NotificationEvent[]).filter(
    (e) =>
      e !== null &&
      typeof e === 'object' &&
      typeof e.eventType === 'string' &&
      typeof e.objectName === 'string' &&
      (e.eventId === undefined || typeof e.eventId === 'string'),
  );
}

/** What an event type means for the named object: ObjectCreated → update; ObjectDeleted / HideMarkerCreated → delete. */
export function changeKind(eventType: string): PathChange['kind'] | undefined {
  if (eventType.startsWith('b2:ObjectCreated:')) return 'update';
  if (eventType.startsWith('b2:ObjectDeleted:') || eventType.startsWith('b2:HideMarkerCreated:')) return 'delete';
  return undefined;
}

/** The path of a B2 name relative to the watched prefix, or undefined when it lies outside (or is the prefix). */
export function relativePath(objectName: string, prefix: string): string | undefined {
  if (!objectName.startsWith(prefix)) return undefined;
  const rel = objectName.slice(prefix.length);
  return rel === '' ? undefined : rel;
}

/** A bounded set of recently seen ids (oldest forgotten first): memory stays flat however many arrive. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max: number) {}

  /** True when `id` was seen already; otherwise remember it and return false. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
    return false;
  }

  get size(): number {
    return this.ids.size;
  }
}
