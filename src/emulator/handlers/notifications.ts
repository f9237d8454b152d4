/**
 * b2_set_bucket_notification_rules and b2_get_bucket_notification_rules (docs/emulator.md, "Event
 * notifications"). Served under /b2api/v3 and /b2api/v4, as on B2 (unconfirmed for v3); v1 and v2
 * answer 404 as for an unknown call.
 */
import type { NotificationRule, NotificationRulesResponse } from '../../wire/notifications.js';
import { b2Fail } from '../errors.js';
import type { Call } from '../emulator.js';
import { parseRules } from '../notifications/rules.js';

function checkVersion(call: Call): void {
  if (call.version === 'v1' || call.version === 'v2')
    throw b2Fail('not_found', `${call.name} is not part of API ${call.version}: use v3 or later`);
}

function shape(bucketId: string, rules: readonly NotificationRule[] | undefined): NotificationRulesResponse {
  return {
    bucketId,
    eventNotificationRules: (rules ?? []).map((r) => ({
      ...r,
      eventTypes: [...r.eventTypes],
      targetConfiguration: { ...r.targetConfiguration },
    })),
  };
}

export function getBucketNotificationRules(call: Call): NotificationRulesResponse {
  checkVersion(call);
  const { emu, params } = call;
  const bucketId = params.reqStr('bucketId');
  emu.require(call, 'readBucketNotifications', { bucketId });
  return shape(bucketId, emu.bucket(bucketId).notificationRules);
}

export async function setBucketNotificationRules(call: Call): Promise<NotificationRulesResponse> {
  checkVersion(call);
  const { emu, params } = call;
  const bucketId = params.reqStr('bucketId');
  emu.require(call, 'writeBucketNotifications', { bucketId });
  const rules = parseRules(params.array('eventNotificationRules'));
  const old = emu.bucket(bucketId);
  await emu.meta.commit({ t: 'bucket', b: { ...old, notificationRules: rules } });
  return shape(bucketId, rules);
}
