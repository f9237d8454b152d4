/**
 * B2 Event Notifications on the wire (docs/emulator.md, "Event notifications"): the rule shapes of
 * b2_set_bucket_notification_rules / b2_get_bucket_notification_rules, the webhook payload, and the
 * v1 signature (hex HMAC-SHA256 of the raw body, keyed with the rule's secret as UTF-8 text).
 */
import { createHmac } from 'node:crypto';

/** The header a signed webhook POST carries: `v1=<64 hex>`. */
export const SIGNATURE_HEADER = 'X-Bz-Event-Notification-Signature';

/** Event types a rule may name; `<category>:*` matches every type of its category. */
export const EVENT_TYPES = [
  'b2:ObjectCreated:*',
  'b2:ObjectCreated:Upload',
  'b2:ObjectCreated:MultipartUpload',
  'b2:ObjectCreated:Copy',
  'b2:ObjectCreated:Replica',
  'b2:ObjectCreated:MultipartReplica',
  'b2:ObjectDeleted:*',
  'b2:ObjectDeleted:Delete',
  'b2:ObjectDeleted:LifecycleRule',
  'b2:HideMarkerCreated:*',
  'b2:HideMarkerCreated:Hide',
  'b2:HideMarkerCreated:LifecycleRule',
  'b2:MultipartUploadCreated:*',
  'b2:MultipartUploadCreated:LiveRead',
] as const;

export interface CustomHeader {
  name: string;
  value: string;
}

export interface WebhookTarget {
  targetType: 'webhook';
  url: string;
  /** 32 letters or digits; absent: deliveries are not signed. */
  hmacSha256SigningSecret?: string | null;
  customHeaders?: CustomHeader[] | null;
}

/** A rule as sent to b2_set_bucket_notification_rules. */
export interface NotificationRuleRequest {
  name: string;
  eventTypes: string[];
  objectNamePrefix: string;
  isEnabled: boolean;
  targetConfiguration: WebhookTarget;
}

/** A rule as B2 answers it (set and get). */
export interface NotificationRule extends NotificationRuleRequest {
  isSuspended: boolean;
  suspensionReason: string;
}

export interface NotificationRulesResponse {
  bucketId: string;
  eventNotificationRules: NotificationRule[];
}

/** One event of a webhook POST body `{"events": [...]}`. */
export interface NotificationEvent {
  accountId: string;
  bucketId: string;
  bucketName: string;
  eventId: string;
  eventTimestamp: number;
  eventType: string;
  eventVersion: number;
  matchedRuleName: string;
  objectName: string;
  /** Absent for hide markers and deletions. */
  objectSize?: number;
  objectVersionId: string;
}

export interface NotificationPayload {
  events: NotificationEvent[];
}

/** The category of an event type: "b2:ObjectCreated:Upload" → "b2:ObjectCreated". */
export function eventCategory(type: string): string {
  const at = type.lastIndexOf(':');
  return at < 0 ? type : type.slice(0, at);
}

/** Does a rule's event type (exact or `category:*`) cover this concrete event type? */
export function eventTypeMatches(ruleType: string, eventType: string): boolean {
  if (ruleType === eventType) return true;
  return ruleType.endsWith(':*') && eventCategory(ruleType) === eventCategory(eventType);
}

/** Could one event be matched by both rule types (each exact or a wildcard)? */
export function eventTypesOverlap(a: string, b: string): boolean {
  return eventTypeMatches(a, b) || eventTypeMatches(b, a);
}

/** The signature header value for a raw body: `v1=` + hex HMAC-SHA256 keyed with the secret's UTF-8 bytes. */
export function signPayload(body: string | Uint8Array, secret: string): string {
  return 'v1=' + createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
}
