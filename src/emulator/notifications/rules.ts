/**
 * Validation of b2_set_bucket_notification_rules input, as B2 documents it (docs/emulator.md, "Event
 * notifications"). Every problem is a 400 bad_request naming the rule and field.
 */
import {
  EVENT_TYPES,
  eventTypesOverlap,
  type CustomHeader,
  type NotificationRule,
  type WebhookTarget,
} from '../../wire/notifications.js';
import { b2Fail } from '../errors.js';

export const MAX_RULES = 25;
export const MAX_CUSTOM_HEADERS = 10;
const RULE_NAME = /^[A-Za-z0-9-]{6,63}$/;
const SECRET = /^[A-Za-z0-9]{32}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const KNOWN_TYPES = new Set<string>(EVENT_TYPES);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

type Raw = Record<string, unknown>;

function fail(message: string): never {
  throw b2Fail('bad_request', message);
}

function obj(v: unknown, what: string): Raw {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`${what} must be an object`);
  return v as Raw;
}

function str(r: Raw, k: string, what: string, required = true): string | undefined {
  const v = r[k];
  if (v === undefined || v === null) {
    if (required) fail(`required field ${k} is missing${what ? ` in ${what}` : ''}`);
    return undefined;
  }
  if (typeof v !== 'string') fail(`${k} must be a string${what ? ` in ${what}` : ''}`);
  return v;
}

/**
 * The webhook URL: https as on B2; the emulator also takes http:// to a loopback host, so tests can run
 * a receiver on 127.0.0.1 without TLS (a documented difference).
 */
function checkUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail(`url is not a valid URL in ${what}`);
  }
  if (u.protocol === 'https:') return;
  if (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname)) return;
  fail(`url must use https:// in ${what} (the emulator also accepts http:// to 127.0.0.1, localhost or [::1])`);
}

function customHeaders(v: unknown, what: string): CustomHeader[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) fail(`customHeaders must be an array in ${what}`);
  if (v.length > MAX_CUSTOM_HEADERS) fail(`customHeaders may have at most ${MAX_CUSTOM_HEADERS} entries in ${what}`);
  const seen = new Set<string>();
  return v.map((h) => {
    const r = obj(h, `a custom header in ${what}`);
    const name = str(r, 'name', what)!;
    const value = str(r, 'value', what)!;
    if (!HEADER_NAME.test(name)) fail(`custom header name "${name}" is not a valid header name in ${what}`);
    if (/^x-bz-/i.test(name)) fail(`custom header names must not start with X-Bz- in ${what}`);
    if (/[\r\n\0]/.test(value)) fail(`custom header ${name} has a control character in its value in ${what}`);
    if (seen.has(name.toLowerCase())) fail(`custom header ${name} is given twice in ${what}`);
    seen.add(name.toLowerCase());
    return { name, value };
  });
}

function target(v: unknown, what: string): WebhookTarget {
  if (v === undefined || v === null) fail(`required field targetConfiguration is missing in ${what}`);
  const r = obj(v, `targetConfiguration in ${what}`);
  const type = str(r, 'targetType', what)!;
  if (type !== 'webhook') fail(`targetType must be "webhook" in ${what}`);
  const url = str(r, 'url', what)!;
  checkUrl(url, what);
  const secret = str(r, 'hmacSha256SigningSecret', what, false);
  if (secret !== undefined && !SECRET.test(secret))
    fail(`hmacSha256SigningSecret must be 32 letters or digits in ${what}`);
  return {
    targetType: 'webhook',
    url,
    hmacSha256SigningSecret: secret ?? null,
    customHeaders: customHeaders(r.customHeaders, what),
  };
}

function eventTypes(v: unknown, what: string): string[] {
  if (v === undefined || v === null) fail(`required field eventTypes is missing in ${what}`);
  if (!Array.isArray(v) || v.length === 0) fail(`eventTypes must be a non-empty array of strings in ${what}`);
  const out: string[] = [];
  for (const t of v) {
    if (typeof t !== 'string' || !KNOWN_TYPES.has(t)) fail(`unknown event type ${JSON.stringify(t)} in ${what}`);
    if (out.includes(t)) fail(`event type ${t} is given twice in ${what}`);
    out.push(t);
  }
  return out;
}

function parseRule(v: unknown, index: number): NotificationRule {
  const r = obj(v, `eventNotificationRules[${index}]`);
  const name = str(r, 'name', `eventNotificationRules[${index}]`)!;
  if (!RULE_NAME.test(name)) fail(`rule name "${name}" must be 6 to 63 letters, digits or hyphens`);
  if (name.toLowerCase().startsWith('b2-')) fail(`rule name "${name}": names starting with b2- are reserved`);
  const what = `rule ${name}`;
  const types = eventTypes(r.eventTypes, what);
  const prefix = str(r, 'objectNamePrefix', what)!;
  const enabled = r.isEnabled ?? true;
  if (typeof enabled !== 'boolean') fail(`isEnabled must be a boolean in ${what}`);
  // isSuspended and suspensionReason are B2's to set: ignored on input.
  return {
    name,
    eventTypes: types,
    objectNamePrefix: prefix,
    isEnabled: enabled,
    isSuspended: false,
    suspensionReason: '',
    targetConfiguration: target(r.targetConfiguration, what),
  };
}

/** Two rules may not both match one event: same (or overlapping) event type and nested prefixes. */
function checkOverlaps(rules: NotificationRule[]): void {
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i];
      const b = rules[j];
      if (!a.objectNamePrefix.startsWith(b.objectNamePrefix) && !b.objectNamePrefix.startsWith(a.objectNamePrefix))
        continue;
      const type = a.eventTypes.find((t) => b.eventTypes.some((u) => eventTypesOverlap(t, u)));
      if (type !== undefined)
        fail(
          `rules ${a.name} and ${b.name} overlap: the same event type (${type}) with nested objectNamePrefix values`,
        );
    }
  }
}

/** Parse and check the whole new rule set (it replaces the bucket's rules); sorted by name. */
export function parseRules(v: unknown): NotificationRule[] {
  if (v === undefined || v === null) fail('required field eventNotificationRules is missing');
  if (!Array.isArray(v)) fail('eventNotificationRules must be an array');
  if (v.length > MAX_RULES) fail(`a bucket may have at most ${MAX_RULES} event notification rules`);
  const rules = v.map(parseRule);
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) fail(`rule name ${r.name} is used twice`);
    names.add(r.name);
  }
  checkOverlaps(rules);
  return rules.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
